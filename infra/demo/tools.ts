/** Running the tools a user would run: git for the demo's environment repository, kubectl for a manual change. */
import { execFile } from 'node:child_process';

export function git(cwd: string, args: readonly string[], who?: { name: string; email: string }): Promise<string> {
  const identity = who ?? { name: 'Driftless Demo', email: 'demo@example.com' };
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** Runs a command (kubectl, in the demo) and returns its output, or throws with its error output. */
export function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command.split('/').pop()} ${args.slice(-3).join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}
