import { readFileSync } from 'node:fs';

/**
 * beamscope's own version, from the package.json two levels above the compiled CLI (dist/bin/,
 * dist/cli/). yargs's own guess reads the first package.json above the working directory: run in
 * someone else's project, `beamscope --version` printed that project's version.
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
    if (pkg.name === 'beamscope' && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // Not laid out as the package is (run from the TypeScript sources).
  }
  return 'unknown';
}
