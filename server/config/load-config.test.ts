import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configJsonSchema } from './config.schema.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from './load-config.ts';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-config-'));
  const file = path.join(dir, 'berth.yaml');
  await writeFile(file, text);
  return file;
}

describe('loadConfig', () => {
  it('fills every default when nothing is configured', () => {
    const config = validateConfig({});
    expect(config.port).toBe(5000);
    expect(config.database.url).toBe('');
    expect(config.registry.maxManifestBytes).toBe(4 * 1024 * 1024);
    expect(config.storage.filesystem.rootDirectory).toBe(path.join(config.dataDir, 'storage'));
    expect(Object.isFrozen(config.registry)).toBe(true);
  });

  it('reads the file and lets environment variables override it', async () => {
    const file = await configFile('port: 6000\nlog:\n  level: debug\ndataDir: /tmp/x\n');
    const config = loadConfig({ BERTH_CONFIG: file, BERTH_PORT: '7000', DATABASE_URL: 'postgres://u@h/db', BERTH_ADMIN_PASSWORD: 'Secret-123' });
    expect(config.port).toBe(7000);
    expect(config.log.level).toBe('debug');
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.database.url).toBe('postgres://u@h/db');
    expect(config.adminPassword).toBe('Secret-123');
  });

  it('parses the documented example file', () => {
    const config = loadConfig({ BERTH_CONFIG: path.resolve('berth.example.yaml') });
    expect(config.port).toBe(5000);
  });

  it('documents every key of the schema in the example file', () => {
    const example = parse(readFileSync(path.resolve('berth.example.yaml'), 'utf8')) as Record<string, unknown>;
    const missing: string[] = [];
    for (const [key, spec] of Object.entries(configJsonSchema.properties)) {
      if (!(key in example)) missing.push(key);
      const nested = (spec as { properties?: Record<string, unknown> }).properties;
      if (nested && 'type' in spec && spec.type === 'object') for (const k of Object.keys(nested)) if (!(k in ((example[key] as Record<string, unknown>) ?? {}))) missing.push(`${key}.${k}`);
    }
    expect(missing).toEqual([]);
  });

  it.each([
    ['prot: 5000\n', /unknown key "prot"/],
    ['registry:\n  maxManifestByte: 10\n', /unknown key "registry.maxManifestByte"/],
    ['port: "http"\n', /"port" must be integer/],
    ['storage:\n  driver: s4\n', /"storage.driver" must be equal to one of the allowed values/],
    ['database:\n  url: mysql://x\n', /"database.url" must match pattern/],
    ['port: [1\n', /not valid YAML/],
  ])('stops with a message naming the bad key for %j', async (text, message) => {
    const file = await configFile(text);
    expect(() => loadConfig({ BERTH_CONFIG: file })).toThrow(ConfigError);
    expect(() => loadConfig({ BERTH_CONFIG: file })).toThrow(message);
  });

  it('rejects a non-numeric BERTH_PORT', () => {
    expect(() => loadConfig({ BERTH_PORT: 'abc' })).toThrow(/BERTH_PORT must be an integer/);
  });

  it('reports a missing config file', () => {
    expect(() => loadConfig({ BERTH_CONFIG: '/nonexistent/berth.yaml' })).toThrow(/cannot read config file/);
  });
});
