import picomatch from 'picomatch';

/**
 * picomatch configured for the doublestar syntax Harbor's selectors use (bmatcuk/doublestar): `*` and `?` stay
 * within one `/`-separated segment, `**` as a whole segment spans any number of them, `[abc]`, `[!abc]` and
 * `{a,b}` work as usual. Dots are ordinary characters (doublestar has no dotfile rule), a leading `!` is literal (no
 * negation: rules say "excludes" instead) and extglobs such as `+(a|b)` are off. Unbalanced brackets or braces are
 * errors, so a malformed pattern is refused when the rule is saved rather than silently matching nothing. `posix` is
 * what makes `[!abc]` a negated class in picomatch (without it the `!` is a literal member).
 */
const options: picomatch.PicomatchOptions = { dot: true, nonegate: true, noextglob: true, strictBrackets: true, posix: true, windows: false };

/** Compiles a doublestar pattern; throws an Error naming the problem when it is malformed. */
export function doublestar(pattern: string): (value: string) => boolean {
  const matcher = picomatch(pattern, options);
  return (value) => matcher(value);
}
