/**
 * Asking a person at a terminal to confirm a promotion. Only when both stdin and stdout are a
 * terminal: a script (or a pipe) is never prompted and relies on `--yes` or its absence.
 */
import { createInterface } from 'node:readline/promises';

export function isInteractive(): boolean {
  return process.stdin.isTTY && process.stdout.isTTY;
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
