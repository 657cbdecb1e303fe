/**
 * Splits `[epoch:]main[-suffix]`, the shape dpkg (`epoch:upstream-revision`) and rpm (`epoch:version-release`)
 * versions share: the suffix is everything after the last hyphen, since the main part may itself hold hyphens.
 * Undefined when an epoch is given and is not a number.
 */
export function splitEpoch(v: string): { epoch: number; main: string; suffix: string; hasSuffix: boolean } | undefined {
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) return undefined;
    epoch = Number(e);
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, main: rest.slice(0, dash), suffix: rest.slice(dash + 1), hasSuffix: true } : { epoch, main: rest, suffix: '', hasSuffix: false };
}
