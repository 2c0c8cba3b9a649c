/** What the CLI touches of its process, as one value: tests run it with their own streams and environment. */

export interface OutStream {
  write(text: string): unknown;
  /** Whether this is a terminal (colour, progress line). */
  readonly isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds before a progress line appears (one second; tests shorten it). */
  progressDelayMs?: number;
}
