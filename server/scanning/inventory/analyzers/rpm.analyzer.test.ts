import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileAnalyzer } from '../package.ts';
import { RPM_TAG, RpmHeaderBlob, parseRpmHeader } from './rpm-header.ts';
import { RPMDB_MAX_BYTES, createRpmAnalyzer, loadRpmAnalyzer, parseSourceRpm, rpmdbPaths } from './rpm.analyzer.ts';

const fixture = readFileSync(new URL('../../../../test/fixtures/rpm/rpmdb.sqlite', import.meta.url));
const PATH = 'var/lib/rpm/rpmdb.sqlite';

let analyzer: FileAnalyzer;
let SQL: SqlJsStatic;

beforeAll(async () => {
  analyzer = await loadRpmAnalyzer();
  const wasm = readFileSync(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm'));
  SQL = await initSqlJs({ wasmBinary: new Uint8Array(wasm).buffer });
});

/** The fixture's header blobs by package name. */
function fixtureBlobs(): Map<string, Uint8Array> {
  const db = new SQL.Database(new Uint8Array(fixture));
  try {
    const rows = db.exec('SELECT blob FROM Packages')[0]?.values ?? [];
    return new Map(rows.map(([blob]) => [parseRpmHeader(blob as Uint8Array).name, blob as Uint8Array]));
  } finally {
    db.close();
  }
}

/** A fresh rpmdb-shaped SQLite file holding the given blobs (null for a row without one). */
function rpmdbWith(blobs: Array<Uint8Array | null>): Buffer {
  const db = new SQL.Database();
  try {
    db.run('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB)');
    for (const blob of blobs) db.run('INSERT INTO Packages (blob) VALUES (?)', [blob]);
    return Buffer.from(db.export());
  } finally {
    db.close();
  }
}

describe('loadRpmAnalyzer', () => {
  it('loads sql.js once and returns the same analyzer', async () => {
    expect(await loadRpmAnalyzer()).toBe(analyzer);
    expect(analyzer.id).toBe('rpm');
    expect(analyzer.maxBytes).toBe(512 * 1024 * 1024);
    expect(RPMDB_MAX_BYTES).toBe(analyzer.maxBytes);
  });

  it('wants only the sqlite rpmdb locations', () => {
    const info = { executable: false, size: 1000 };
    expect(rpmdbPaths).toEqual(['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite']);
    expect(analyzer.wants('var/lib/rpm/rpmdb.sqlite', info)).toBe(true);
    expect(analyzer.wants('usr/lib/sysimage/rpm/rpmdb.sqlite', info)).toBe(true);
    expect(analyzer.wants('/var/lib/rpm/rpmdb.sqlite', info)).toBe(false);
    expect(analyzer.wants('var/lib/rpm/Packages', info)).toBe(false);
    expect(analyzer.wants('var/lib/rpm/rpmdb.sqlite-wal', info)).toBe(false);
    expect(analyzer.wants('home/x/var/lib/rpm/rpmdb.sqlite', info)).toBe(false);
  });
});

describe('rpm analyzer on a real rpmdb (made by rpm 4.18, see test/fixtures/rpm/README.md)', () => {
  it('reads the installed packages, skipping gpg-pubkey', () => {
    expect(analyzer.parse(PATH, fixture)).toEqual([
      {
        ecosystem: 'RPM',
        name: 'berth-hello',
        version: '3:1.2.3-4.fx1',
        arch: 'noarch',
        licenses: ['MIT AND Apache-2.0'],
        sourceName: 'berth-hello',
        sourceVersion: '1.2.3-4.fx1',
        path: PATH,
      },
      {
        ecosystem: 'RPM',
        name: 'berth-plain',
        version: '0.9-1',
        arch: 'noarch',
        licenses: ['GPL-2.0-or-later'],
        sourceName: 'berth-plain',
        sourceVersion: '0.9-1',
        path: PATH,
      },
    ]);
  });

  it('has the raw header fields rpm wrote, including the gpg-pubkey pseudo-package', () => {
    const blobs = fixtureBlobs();
    expect([...blobs.keys()]).toEqual(['berth-hello', 'berth-plain', 'gpg-pubkey']);
    expect(parseRpmHeader(blobs.get('berth-hello')!)).toEqual({
      name: 'berth-hello',
      version: '1.2.3',
      release: '4.fx1',
      epoch: 3,
      arch: 'noarch',
      license: 'MIT AND Apache-2.0',
      sourceRpm: 'berth-hello-1.2.3-4.fx1.src.rpm',
      vendor: 'Berth Test',
    });
    const plain = parseRpmHeader(blobs.get('berth-plain')!);
    expect(plain.epoch).toBeUndefined();
    expect(plain.sourceRpm).toBe('berth-plain-0.9-1.src.rpm');
    const key = parseRpmHeader(blobs.get('gpg-pubkey')!);
    expect(key).toMatchObject({ name: 'gpg-pubkey', version: '1eb50eee', release: '6b111b36' });
    expect(key.arch).toBeUndefined();
    // rpm --import writes the literal "(none)" as the key's source RPM; it has no name-version-release shape.
    expect(key.sourceRpm).toBe('(none)');
    expect(parseSourceRpm('(none)')).toBeUndefined();
  });

  it('reports the path it was given', () => {
    const alt = 'usr/lib/sysimage/rpm/rpmdb.sqlite';
    expect(analyzer.parse(alt, fixture).every((p) => p.path === alt)).toBe(true);
  });
});

describe('rpm analyzer on constructed databases', () => {
  it('keeps rows in hnum order and skips every gpg-pubkey', () => {
    const blobs = fixtureBlobs();
    const db = rpmdbWith([blobs.get('gpg-pubkey')!, blobs.get('berth-plain')!, blobs.get('gpg-pubkey')!, blobs.get('berth-hello')!]);
    expect(analyzer.parse(PATH, db).map((p) => p.name)).toEqual(['berth-plain', 'berth-hello']);
  });

  it('leaves epoch 0 out of the version, and omits licenses and source when the header has none', () => {
    const blob = Buffer.from(fixtureBlobs().get('berth-hello')!);
    const header = new RpmHeaderBlob(blob);
    const dataStart = 8 + header.entries.length * 16;
    blob.writeUInt32BE(0, dataStart + header.entry(RPM_TAG.EPOCH)!.offset);
    // Renumber LICENSE and SOURCERPM to unused tags, as if the header lacked them.
    for (const tag of [RPM_TAG.LICENSE, RPM_TAG.SOURCERPM]) {
      const i = header.entries.findIndex((e) => e.tag === tag);
      blob.writeUInt32BE(60000 + i, 8 + i * 16);
    }
    expect(parseRpmHeader(blob).epoch).toBe(0);
    expect(analyzer.parse(PATH, rpmdbWith([blob]))).toEqual([
      { ecosystem: 'RPM', name: 'berth-hello', version: '1.2.3-4.fx1', arch: 'noarch', path: PATH },
    ]);
  });

  it('fails cleanly on random corruption of real header blobs (seeded)', () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const original of fixtureBlobs().values()) {
      for (let round = 0; round < 500; round++) {
        const blob = Buffer.from(original);
        for (let f = 0; f < 1 + rand(3); f++) blob[rand(Math.min(blob.length, 8 + 16 * 12))] = rand(256);
        try {
          parseRpmHeader(blob);
        } catch (err) {
          expect((err as Error).message).toMatch(/^malformed rpm header: /);
        }
      }
    }
  });

  it('returns nothing for an empty Packages table', () => {
    expect(analyzer.parse(PATH, rpmdbWith([]))).toEqual([]);
  });

  it('names the row of a truncated header blob', () => {
    const good = fixtureBlobs().get('berth-plain')!;
    const db = rpmdbWith([good, good.subarray(0, 100)]);
    expect(() => analyzer.parse(PATH, db)).toThrow(
      /^var\/lib\/rpm\/rpmdb\.sqlite: Packages row 2: malformed rpm header: truncated/,
    );
  });

  it('names the row of a header blob whose offset is out of range', () => {
    const bad = Buffer.from(fixtureBlobs().get('berth-plain')!);
    bad.writeUInt32BE(0x00ffffff, 8 + 16 + 8); // second index entry's offset
    expect(() => analyzer.parse(PATH, rpmdbWith([bad]))).toThrow(
      /Packages row 1: malformed rpm header: index entry 1 \(tag \d+\) offset 16777215 is outside/,
    );
  });

  it('rejects a row without a blob', () => {
    expect(() => analyzer.parse(PATH, rpmdbWith([null]))).toThrow(/Packages row 1 has no header blob/);
  });

  it('rejects a buffer that is not an SQLite database', () => {
    expect(() => analyzer.parse(PATH, Buffer.from('this is not a database, just text'))).toThrow(
      /var\/lib\/rpm\/rpmdb\.sqlite: not an SQLite database/,
    );
    expect(() => analyzer.parse(PATH, Buffer.alloc(0))).toThrow(/not an SQLite database/);
    // A Berkeley DB rpmdb (the pre-4.16 `Packages` file) is also not SQLite.
    const bdb = Buffer.alloc(4096);
    bdb.writeUInt32LE(0x00061561, 12);
    expect(() => analyzer.parse(PATH, bdb)).toThrow(/not an SQLite database/);
  });

  it('rejects an SQLite header followed by garbage', () => {
    const junk = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080, 0xab)]);
    expect(() => analyzer.parse(PATH, junk)).toThrow(/not a readable SQLite database/);
  });

  it('rejects an SQLite database with no Packages table', () => {
    const db = new SQL.Database();
    db.run('CREATE TABLE Other (x INTEGER)');
    const content = Buffer.from(db.export());
    db.close();
    expect(() => analyzer.parse(PATH, content)).toThrow(/SQLite database has no Packages table/);
  });

  it('works through createRpmAnalyzer with a caller-supplied sql.js', () => {
    expect(createRpmAnalyzer(SQL).parse(PATH, fixture)).toEqual(analyzer.parse(PATH, fixture));
  });
});

describe('parseSourceRpm', () => {
  it('splits name and version-release', () => {
    expect(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm')).toEqual({ name: 'openssl', version: '3.0.7-27.el9' });
    expect(parseSourceRpm('python-requests-2.25.1-8.el9.src.rpm')).toEqual({
      name: 'python-requests',
      version: '2.25.1-8.el9',
    });
    expect(parseSourceRpm('foo-1-2.nosrc.rpm')).toEqual({ name: 'foo', version: '1-2' });
  });

  it('gives up on names without version and release', () => {
    expect(parseSourceRpm('foo.src.rpm')).toBeUndefined();
    expect(parseSourceRpm('foo-1.src.rpm')).toBeUndefined();
    expect(parseSourceRpm('-1-2.src.rpm')).toBeUndefined();
  });
});
