/**
 * Third-party command-line tools a test file needs (`docker-compose`, `kubectl`, …). Present: the
 * test runs. Absent: with CI=true the file fails saying which Debian package to install (CI's
 * scripts install them); otherwise its cases are skipped with a warning that says why. Never a
 * silent skip.
 */
import { execFileSync } from 'node:child_process';

export function requireTool(command: string, versionArgs: readonly string[], debianPackage: string, who: string): boolean {
  try {
    execFileSync(command, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`${command} is required in CI (Debian package ${debianPackage}; scripts/lib/services.sh installs it)`);
    console.warn(`${who}: ${command} not installed (apt-get install ${debianPackage}); these checks are skipped`);
    return false;
  }
}
