import { builtinScannerIdentity } from './builtin-scanner.ts';
import type { ScannerRow } from './scanners.repo.ts';

/** Harbor's ScannerRegistration. The stored credential is never shown, only whether there is one. */
export function presentScanner(r: ScannerRow): Record<string, unknown> {
  return {
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    url: r.url,
    disabled: r.disabled,
    is_default: r.is_default,
    auth: r.auth,
    access_credential: r.access_credential ? '********' : '',
    skip_certVerify: r.skip_cert_verify,
    use_internal_addr: r.use_internal_addr,
    create_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
    ...(r.builtin ? { adapter: builtinScannerIdentity.name, vendor: builtinScannerIdentity.vendor, version: builtinScannerIdentity.version, health: 'healthy', capabilities: { support_vulnerability: true, support_sbom: true } } : {}),
  };
}
