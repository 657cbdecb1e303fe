import type { FileAnalyzer } from '../package.ts';
import { apkAnalyzer } from './apk.analyzer.ts';
import { dpkgAnalyzer } from './dpkg.analyzer.ts';
import { goBinaryAnalyzer } from './go-binary.analyzer.ts';
import { npmLockfileAnalyzer, npmPackageAnalyzer } from './npm.analyzer.ts';
import { pythonAnalyzer } from './python.analyzer.ts';

export { osReleasePaths, parseOsRelease } from './os-release.ts';
export { apkAnalyzer, dpkgAnalyzer, goBinaryAnalyzer, npmLockfileAnalyzer, npmPackageAnalyzer, pythonAnalyzer };

/**
 * Every analyzer the layer walker runs, each offered every file. OS package databases come first so that,
 * where the scanner reports by analyzer, distro packages lead; the order does not otherwise matter.
 */
export const builtinAnalyzers: FileAnalyzer[] = [
  dpkgAnalyzer,
  apkAnalyzer,
  npmPackageAnalyzer,
  npmLockfileAnalyzer,
  pythonAnalyzer,
  goBinaryAnalyzer,
];
