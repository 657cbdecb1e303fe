import { X509Certificate } from 'node:crypto';
import type { PolicyDocument, PromotionLadderDoc, TrustPolicyDoc } from './documents.ts';
import type { PolicyProblem } from './validate.ts';
import { describeKey } from './pem.ts';

/** Names that must be unique in a list: a problem at each repeat. */
function duplicates(values: string[], pathOf: (i: number) => string, what: string): PolicyProblem[] {
  const seen = new Map<string, number>();
  const out: PolicyProblem[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) out.push({ path: pathOf(i), message: `${what} "${v}" appears twice (first at index ${seen.get(v)})` });
    else seen.set(v, i);
  });
  return out;
}

function checkLadder(doc: PromotionLadderDoc): PolicyProblem[] {
  const { stages, transitions = [] } = doc.spec;
  const problems = [
    ...duplicates(stages.map((s) => s.name), (i) => `/spec/stages/${i}/name`, 'stage'),
    ...duplicates(stages.map((s) => s.project), (i) => `/spec/stages/${i}/project`, 'project'),
    ...duplicates(transitions.map((t) => t.to), (i) => `/spec/transitions/${i}/to`, 'transition into stage'),
  ];
  transitions.forEach((t, ti) => {
    const at = stages.findIndex((s) => s.name === t.to);
    if (at < 0) problems.push({ path: `/spec/transitions/${ti}/to`, message: `names no stage of this ladder (its stages are ${stages.map((s) => s.name).join(', ')})` });
    else if (at === 0) problems.push({ path: `/spec/transitions/${ti}/to`, message: `${t.to} is the first stage: nothing is promoted into it, so its gates would never apply` });
    t.gates.forEach((g, gi) => {
      const base = `/spec/transitions/${ti}/gates/${gi}`;
      if (g.type === 'referrer' && g.signed !== false && !g.trustPolicy) problems.push({ path: `${base}/trustPolicy`, message: 'is required unless signed is false (the referrer must be signed by a trust policy)' });
      if (g.type === 'vulnerability') {
        (g.allowlist ?? []).forEach((e, ei) => {
          if (e.expiresAt !== undefined && Number.isNaN(Date.parse(e.expiresAt))) problems.push({ path: `${base}/allowlist/${ei}/expiresAt`, message: 'is not a valid date' });
        });
      }
      if (g.type === 'labels') {
        const both = (g.required ?? []).filter((l) => (g.forbidden ?? []).includes(l));
        if (both.length) problems.push({ path: `${base}/forbidden`, message: `${both.join(', ')} cannot be both required and forbidden` });
      }
    });
  });
  return problems;
}

function checkTrust(doc: TrustPolicyDoc): PolicyProblem[] {
  const { keys = [], certificates = [], sigstore } = doc.spec;
  const problems = [
    ...duplicates(keys.map((k) => k.name), (i) => `/spec/keys/${i}/name`, 'key'),
    ...duplicates(certificates.map((c) => c.name), (i) => `/spec/certificates/${i}/name`, 'certificate'),
  ];
  keys.forEach((k, i) => {
    const key = describeKey(k.publicKey);
    if (!key.ok) problems.push({ path: `/spec/keys/${i}/publicKey`, message: key.reason });
  });
  const certificate = (pem: string, path: string): void => {
    try {
      new X509Certificate(pem);
    } catch {
      problems.push({ path, message: 'is not a PEM X.509 certificate' });
    }
  };
  certificates.forEach((c, i) => certificate(c.certificate, `/spec/certificates/${i}/certificate`));
  (sigstore?.fulcioCertificates ?? []).forEach((pem, i) => certificate(pem, `/spec/sigstore/fulcioCertificates/${i}`));
  (sigstore?.rekorKeys ?? []).forEach((pem, i) => {
    const key = describeKey(pem);
    if (!key.ok) problems.push({ path: `/spec/sigstore/rekorKeys/${i}`, message: key.reason });
  });
  return problems;
}

/** The rules of a document a JSON Schema cannot express (run after the schema passed). */
export function checkDocument(doc: PolicyDocument): PolicyProblem[] {
  return doc.kind === 'PromotionLadder' ? checkLadder(doc) : checkTrust(doc);
}
