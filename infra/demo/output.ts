/** Progress output for the demo: one line per step with its duration, and plain tables. */

const isTty = process.stdout.isTTY === true;
const dim = (s: string) => (isTty ? `\u001b[2m${s}\u001b[0m` : s);
const green = (s: string) => (isTty ? `\u001b[32m${s}\u001b[0m` : s);
const red = (s: string) => (isTty ? `\u001b[31m${s}\u001b[0m` : s);

export function say(text: string): void {
  process.stdout.write(text);
}

/** Runs one step, printing "… what" before and "✓ what (N ms)" after. */
export async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${dim('…')} ${what}\n`);
  try {
    const result = await work();
    say(`${green('✓')} ${what} ${dim(`(${Date.now() - started} ms)`)}\n`);
    return result;
  } catch (err) {
    say(`${red('✗')} ${what}\n`);
    throw err;
  }
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      // A stopped service will not come back: fail at once.
      if (err instanceof Error && / stopped \(/.test(err.message)) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  say(`${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
}
