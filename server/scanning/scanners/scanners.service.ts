import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { BerthError } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import { AdapterError, AdapterScanner, type AdapterEndpoint, type RegistryGrant } from './adapter-client.ts';
import { builtinScannerIdentity, type BuiltinScanner } from './builtin-scanner.ts';
import type { Scanner, ScannerMetadata } from './scanner.ts';
import { scannersRepo, type ScannerFields, type ScannerRow } from './scanners.repo.ts';

/** Harbor's ScannerRegistrationReq, as validated by the schema. */
export interface ScannerRegistrationInput {
  name: string;
  description?: string;
  url: string;
  auth?: string;
  access_credential?: string;
  skip_certVerify?: boolean;
  use_internal_addr?: boolean;
  disabled?: boolean;
}

/** The built-in scanner's registration: not an HTTP adapter, so its URL names it instead of locating it. */
export const builtinScannerUrl = 'builtin://berth';

/**
 * Scanner registrations (Harbor's /scanners): the built-in scanner, registered at start and the default until an
 * administrator picks another, and external adapters. Credentials are sealed at rest and never shown again.
 * A project may choose its scanner; otherwise the default scans it.
 */
export class ScannersService {
  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
    private readonly builtin: BuiltinScanner,
    /** A pull-only credential for the repository, and where the adapter reaches the registry (internal or external). */
    private readonly grant: (repository: string, internal: boolean) => RegistryGrant,
  ) {}

  /** Registers the built-in scanner once, and makes it the default when there is none. */
  async ensureBuiltin(): Promise<void> {
    if (!(await scannersRepo.builtin(this.db))) {
      await scannersRepo.insert(this.db, randomUUID(), {
        name: builtinScannerIdentity.name,
        description: 'The scanner built into Berth: package inventory from the layers, matched against the imported OSV advisories; works air-gapped.',
        url: builtinScannerUrl,
        auth: '',
        access_credential: null,
        skip_cert_verify: false,
        use_internal_addr: true,
        disabled: false,
        builtin: true,
      });
    }
    if (!(await scannersRepo.default(this.db))) await scannersRepo.setDefault(this.db, (await scannersRepo.builtin(this.db))!.id);
  }

  list(filter: { name?: string; enabledOnly?: boolean; offset: number; limit: number }) {
    return scannersRepo.list(this.db, filter);
  }

  async get(uuid: string): Promise<ScannerRow> {
    // Registration ids are UUIDs; anything else names nothing (and never reaches the database).
    const row = /^[0-9a-f-]{1,64}$/i.test(uuid) ? await scannersRepo.byUuid(this.db, uuid) : undefined;
    if (!row) throw new BerthError('NOT_FOUND', `scanner registration ${uuid.slice(0, 80)} not found`);
    return row;
  }

  async create(input: ScannerRegistrationInput): Promise<ScannerRow> {
    if (input.url === builtinScannerUrl) throw new BerthError('BAD_REQUEST', `${builtinScannerUrl} names the built-in scanner, which is registered already`);
    const row = await scannersRepo.insert(this.db, randomUUID(), this.fields(input));
    if (!row) throw new BerthError('CONFLICT', `a scanner named ${input.name} is registered already`);
    return row;
  }

  async update(uuid: string, input: ScannerRegistrationInput): Promise<void> {
    const row = await this.get(uuid);
    if (row.builtin && input.url !== row.url) throw new BerthError('PRECONDITION', 'the built-in scanner cannot be pointed at another URL');
    if (!row.builtin && input.url === builtinScannerUrl) throw new BerthError('BAD_REQUEST', `${builtinScannerUrl} names the built-in scanner; an adapter needs its http(s) URL`);
    const fields = this.fields(input);
    // Harbor keeps the stored credential when an update leaves it out and still names an auth type.
    if (!input.access_credential && fields.auth) delete (fields as Partial<ScannerFields>).access_credential;
    const other = await scannersRepo.byName(this.db, input.name);
    if (other && other.id !== row.id) throw new BerthError('CONFLICT', `a scanner named ${input.name} is registered already`);
    if (row.is_default && fields.disabled) throw new BerthError('PRECONDITION', 'the default scanner cannot be disabled; make another one the default first');
    await scannersRepo.update(this.db, row.id, fields);
  }

  async remove(uuid: string): Promise<ScannerRow> {
    const row = await this.get(uuid);
    if (row.builtin) throw new BerthError('PRECONDITION', 'the built-in scanner cannot be deleted (disable it instead, once another scanner is the default)');
    if (row.is_default) throw new BerthError('PRECONDITION', 'the default scanner cannot be deleted; make another one the default first');
    await scannersRepo.delete(this.db, row.id);
    return row;
  }

  async setDefault(uuid: string): Promise<void> {
    const row = await this.get(uuid);
    if (row.disabled) throw new BerthError('PRECONDITION', 'a disabled scanner cannot be the default');
    await this.db.transaction((trx) => scannersRepo.setDefault(trx, row.id));
  }

  /** Harbor's ping: reads the metadata of an adapter that is not registered (yet), to check the settings. */
  async ping(input: { url: string; auth?: string; access_credential?: string }): Promise<ScannerMetadata> {
    if (input.url === builtinScannerUrl) return this.builtin.metadata();
    return this.reach(() => this.adapter({ url: input.url, auth: input.auth ?? '', credential: input.access_credential ?? '', skipCertVerify: false }).metadata());
  }

  async metadata(uuid: string): Promise<ScannerMetadata> {
    const row = await this.get(uuid);
    return this.reach(() => this.scannerFor(row).metadata());
  }

  /** The registration that scans the project's artifacts: its own choice, else the default. */
  async forProject(projectId: number): Promise<ScannerRow | undefined> {
    return (await scannersRepo.ofProject(this.db, projectId)) ?? (await scannersRepo.default(this.db));
  }

  async setForProject(projectId: number, uuid: string): Promise<void> {
    const row = await this.get(uuid);
    if (row.disabled) throw new BerthError('PRECONDITION', `scanner ${row.name} is disabled`);
    await scannersRepo.setForProject(this.db, projectId, row.id);
  }

  byId(id: number): Promise<ScannerRow | undefined> {
    return scannersRepo.byId(this.db, id);
  }

  /** The scanner a registration describes, ready to call. */
  scannerFor(row: ScannerRow): Scanner {
    if (row.builtin) return this.builtin;
    return this.adapter({ url: row.url, auth: row.auth, credential: row.access_credential ? this.secrets.open(row.access_credential) : '', skipCertVerify: row.skip_cert_verify }, row.use_internal_addr);
  }

  private adapter(endpoint: AdapterEndpoint, internal = false): AdapterScanner {
    return new AdapterScanner(endpoint, (repository) => this.grant(repository, internal));
  }

  private async reach<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof AdapterError) throw new BerthError('BAD_REQUEST', err.message);
      throw err;
    }
  }

  private fields(input: ScannerRegistrationInput): ScannerFields {
    return {
      name: input.name,
      description: input.description ?? '',
      url: input.url.replace(/\/+$/, ''),
      auth: input.auth ?? '',
      access_credential: input.access_credential ? this.secrets.seal(input.access_credential) : null,
      skip_cert_verify: input.skip_certVerify ?? false,
      use_internal_addr: input.use_internal_addr ?? false,
      disabled: input.disabled ?? false,
    };
  }
}
