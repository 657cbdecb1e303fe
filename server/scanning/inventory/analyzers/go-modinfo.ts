/** One module a Go binary was built from. */
export interface GoModule {
  path: string;
  version: string;
}

/** The main module, dependencies and build settings a Go binary's module info records. */
export interface GoModuleInfo {
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines' key=value settings (GOARCH, GOOS, CGO_ENABLED, vcs.revision ...). */
  settings: Map<string, string>;
}

/**
 * Parses `debug.BuildInfo` text: tab-separated `path`, `mod`, `dep` lines, each `dep` (or `mod`) possibly
 * followed by a `=>` line naming what replaced it. Modules without a published version are dropped: a
 * replacement by a local directory (no version, or `(devel)`), and a module built from a checkout (`(devel)`),
 * since no advisory can name them.
 */
export function parseModinfo(text: string): GoModuleInfo {
  const info: GoModuleInfo = { deps: [], settings: new Map() };
  // Which module the next `=>` line replaces: the main module, or a dependency by index.
  let last: 'main' | number | undefined;
  for (const line of text.split('\n')) {
    const [kind, path = '', version = ''] = line.split('\t');
    switch (kind) {
      case 'mod':
        info.main = { path, version };
        last = 'main';
        break;
      case 'dep':
        info.deps.push({ path, version });
        last = info.deps.length - 1;
        break;
      case '=>': {
        if (last === undefined) break;
        const replacement = { path, version };
        if (last === 'main') info.main = replacement;
        else info.deps[last] = replacement;
        last = undefined;
        break;
      }
      case 'build': {
        const eq = path.indexOf('=');
        if (eq > 0) info.settings.set(path.slice(0, eq), path.slice(eq + 1));
        break;
      }
      default:
        // `path` (the main package), blank lines and anything newer are not modules.
        break;
    }
  }
  const published = (m: GoModule): boolean => m.path !== '' && m.version !== '' && m.version !== '(devel)';
  info.deps = info.deps.filter(published);
  if (info.main && !published(info.main)) delete info.main;
  return info;
}

/**
 * The toolchain version as OSV's Go `stdlib` package names it: `go1.21.6` → `1.21.6`, dropping experiments
 * and suffixes (`go1.22.1 X:boringcrypto`). Undefined for development toolchains (`devel go1.23-abc`).
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)/.exec(goVersion.trim());
  return m?.[1];
}
