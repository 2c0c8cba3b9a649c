/** Where the built web UI is when nothing is configured: `dist/` of the @driftless/ui package, if it is installed and built. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultUiDir(): string | undefined {
  let packageJson: string;
  try {
    packageJson = fileURLToPath(import.meta.resolve('@driftless/ui/package.json'));
  } catch {
    // Not installed next to this service (a deployment without the UI).
    return undefined;
  }
  const dist = join(dirname(packageJson), 'dist');
  return existsSync(join(dist, 'index.html')) ? dist : undefined;
}
