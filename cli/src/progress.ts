/**
 * A progress line for anything that takes more than a second: a spinner with what is being
 * waited for and for how long, on stderr and only on a terminal (a script's output stays clean),
 * erased when the work ends.
 */
import type { OutStream } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_INTERVAL_MS = 100;
export const PROGRESS_DELAY_MS = 1000;

export interface ProgressOptions {
  stream: OutStream;
  delayMs?: number;
  now?: () => number;
}

/** Runs `work`, showing `label` on a spinner line if it is still running after the delay. */
export async function withProgress<T>(label: string, work: () => Promise<T>, options: ProgressOptions): Promise<T> {
  const { stream } = options;
  if (stream.isTTY !== true) return work();
  const now = options.now ?? Date.now;
  const startedMs = now();
  let frame = 0;
  let isShown = false;
  let ticker: NodeJS.Timeout | undefined;
  const draw = () => {
    isShown = true;
    const seconds = ((now() - startedMs) / 1000).toFixed(1);
    stream.write(`\r\u001b[K${FRAMES[frame++ % FRAMES.length] ?? ''} ${label} … ${seconds}s`);
  };
  const starter = setTimeout(() => {
    draw();
    ticker = setInterval(draw, FRAME_INTERVAL_MS);
  }, options.delayMs ?? PROGRESS_DELAY_MS);
  try {
    return await work();
  } finally {
    clearTimeout(starter);
    if (ticker) clearInterval(ticker);
    if (isShown) stream.write('\r\u001b[K');
  }
}
