import type { FileAnalyzer, InstalledPackage } from '../package.ts';
import { isElf } from './elf.ts';
import { readGoBuildInfo } from './go-buildinfo.ts';
import { parseModinfo, stdlibVersion } from './go-modinfo.ts';

const maxBytes = 256 * 1024 * 1024;

/**
 * Go programs' embedded build info: the toolchain (as OSV's `stdlib`), the main module and every module
 * dependency. Any executable may be a Go program, so this wants them all and rejects non-ELF content first.
 */
export const goBinaryAnalyzer: FileAnalyzer = {
  id: 'go-binary',
  maxBytes,
  wants(path, { executable, size }) {
    // 64 bytes is an ELF header: anything smaller cannot be a program.
    return executable && size >= 64 && size <= maxBytes;
  },
  parse(path, content) {
    if (!isElf(content)) return [];
    const info = readGoBuildInfo(content);
    if (!info) return [];
    const modules = parseModinfo(info.modinfo);
    const arch = modules.settings.get('GOARCH');
    const pkg = (name: string, version: string): InstalledPackage => ({ ecosystem: 'Go', name, version, ...(arch ? { arch } : {}), path });
    const packages: InstalledPackage[] = [];
    if (modules.main) packages.push(pkg(modules.main.path, modules.main.version));
    for (const dep of modules.deps) packages.push(pkg(dep.path, dep.version));
    const stdlib = stdlibVersion(info.goVersion);
    if (stdlib) packages.push(pkg('stdlib', stdlib));
    return packages;
  },
};
