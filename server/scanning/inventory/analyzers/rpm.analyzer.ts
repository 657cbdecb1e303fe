/**
 * Installed RPM packages, read from the sqlite rpmdb (rpm 4.16+: Fedora 33+, RHEL/Rocky/Alma 9, openSUSE).
 * Each row of its `Packages` table holds one package's header blob, parsed by `rpm-header.ts`.
 *
 * sql.js has to load its wasm asynchronously, but `FileAnalyzer.parse` is synchronous, so the analyzer is
 * obtained through `loadRpmAnalyzer()`, which initialises sql.js once and hands back an analyzer whose parse
 * runs synchronously on the already-loaded module.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic } from 'sql.js';
import type { FileAnalyzer, InstalledPackage } from '../package.ts';
import { parseRpmHeader } from './rpm-header.ts';

/** Where rpm keeps its sqlite database: the classic location and the newer `/usr/lib/sysimage` one. */
export const rpmdbPaths: readonly string[] = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'];

export const RPMDB_MAX_BYTES = 512 * 1024 * 1024;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Name and version-release of a source RPM file name (`name-version-release.src.rpm`); undefined if it has no such shape. */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string } | undefined {
  const base = sourceRpm.replace(/\.(?:no)?src\.rpm$/, '');
  const releaseDash = base.lastIndexOf('-');
  if (releaseDash <= 0) return undefined;
  const versionDash = base.lastIndexOf('-', releaseDash - 1);
  if (versionDash <= 0) return undefined;
  const name = base.slice(0, versionDash);
  const version = base.slice(versionDash + 1, releaseDash);
  const release = base.slice(releaseDash + 1);
  if (version === '' || release === '') return undefined;
  return { name, version: `${version}-${release}` };
}

function openRpmdb(SQL: SqlJsStatic, path: string, content: Buffer): Database {
  if (content.length < SQLITE_MAGIC.length || !content.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new Error(`${path}: not an SQLite database (no "SQLite format 3" header)`);
  }
  return new SQL.Database(new Uint8Array(content));
}

/** Reads the packages of one rpmdb.sqlite; `SQL` is an initialised sql.js module. */
export function parseRpmdb(SQL: SqlJsStatic, path: string, content: Buffer): InstalledPackage[] {
  const db = openRpmdb(SQL, path, content);
  try {
    let hasPackages: boolean;
    try {
      hasPackages = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'").length > 0;
    } catch (err) {
      throw new Error(`${path}: not a readable SQLite database: ${(err as Error).message}`);
    }
    if (!hasPackages) throw new Error(`${path}: SQLite database has no Packages table, so it is not an rpmdb`);

    const packages: InstalledPackage[] = [];
    const stmt = db.prepare('SELECT rowid, blob FROM Packages ORDER BY rowid');
    try {
      while (stmt.step()) {
        const [rowid, blob] = stmt.get();
        if (!(blob instanceof Uint8Array)) {
          throw new Error(`${path}: Packages row ${String(rowid)} has no header blob`);
        }
        let header;
        try {
          header = parseRpmHeader(blob);
        } catch (err) {
          throw new Error(`${path}: Packages row ${String(rowid)}: ${(err as Error).message}`);
        }
        // rpm --import records each trusted signing key as a fake package; it is not software.
        if (header.name === 'gpg-pubkey') continue;
        const pkg: InstalledPackage = {
          ecosystem: 'RPM',
          name: header.name,
          version: `${header.epoch ? `${header.epoch}:` : ''}${header.version}-${header.release}`,
          path,
        };
        if (header.arch !== undefined) pkg.arch = header.arch;
        if (header.license !== undefined) pkg.licenses = [header.license];
        const source = header.sourceRpm === undefined ? undefined : parseSourceRpm(header.sourceRpm);
        if (source !== undefined) {
          pkg.sourceName = source.name;
          pkg.sourceVersion = source.version;
        }
        packages.push(pkg);
      }
    } finally {
      stmt.free();
    }
    return packages;
  } finally {
    db.close();
  }
}

/** An rpmdb analyzer over an initialised sql.js module. */
export function createRpmAnalyzer(SQL: SqlJsStatic): FileAnalyzer {
  return {
    id: 'rpm',
    maxBytes: RPMDB_MAX_BYTES,
    wants: (path) => rpmdbPaths.includes(path),
    parse: (path, content) => parseRpmdb(SQL, path, content),
  };
}

let sqlJs: Promise<SqlJsStatic> | undefined;

/** sql.js, initialised once per process from the wasm file on disk (nothing is fetched). */
function loadSqlJs(): Promise<SqlJsStatic> {
  if (sqlJs === undefined) {
    const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    const loading = readFile(wasmPath).then((wasm) =>
      initSqlJs({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer }),
    );
    // A failed load is not cached, so a later call can try again.
    loading.catch(() => {
      if (sqlJs === loading) sqlJs = undefined;
    });
    sqlJs = loading;
  }
  return sqlJs;
}

let analyzer: Promise<FileAnalyzer> | undefined;

/** The rpmdb analyzer; the first call loads sql.js, later calls return the same analyzer. */
export function loadRpmAnalyzer(): Promise<FileAnalyzer> {
  if (analyzer === undefined) {
    const loading = loadSqlJs().then(createRpmAnalyzer);
    loading.catch(() => {
      if (analyzer === loading) analyzer = undefined;
    });
    analyzer = loading;
  }
  return analyzer;
}
