/**
 * Typed configuration from environment variables. A service declares one spec; `loadConfig`
 * reads it once and either returns a frozen object or throws a ConfigError listing every problem
 * at once, each with the variable's name, what is wrong and an example.
 */

interface FieldBase<T> {
  /** Environment variable name, e.g. DRIFTLESS_NATS_URL. */
  env: string;
  doc: string;
  example: string;
  default?: T;
  /** Secrets are never echoed back in errors or descriptions. */
  isSecret?: boolean;
  parse(raw: string): { ok: true; value: T } | { ok: false; problem: string };
}

export type Field<T> = FieldBase<T> & { readonly _type?: T };
export type ConfigSpec = Record<string, Field<unknown>>;
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

type Options<T> = Omit<FieldBase<T>, 'parse'>;

export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
  }
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (problem: string) => ({ ok: false as const, problem });

export const field = {
  string(opts: Options<string> & { pattern?: RegExp; minLength?: number }): Field<string> {
    return {
      ...opts,
      parse: (raw) => {
        if (raw.length < (opts.minLength ?? 1)) return bad(`must be at least ${opts.minLength ?? 1} characters`);
        if (opts.pattern && !opts.pattern.test(raw)) return bad(`must match ${String(opts.pattern)}`);
        return ok(raw);
      },
    };
  },
  integer(opts: Options<number> & { min?: number; max?: number }): Field<number> {
    return {
      ...opts,
      parse: (raw) => {
        if (!/^-?\d+$/.test(raw.trim())) return bad('must be a whole number');
        const n = Number(raw);
        if (opts.min !== undefined && n < opts.min) return bad(`must be at least ${opts.min}`);
        if (opts.max !== undefined && n > opts.max) return bad(`must be at most ${opts.max}`);
        return ok(n);
      },
    };
  },
  number(opts: Options<number> & { min?: number; max?: number }): Field<number> {
    return {
      ...opts,
      parse: (raw) => {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) return bad('must be a number');
        if (opts.min !== undefined && n < opts.min) return bad(`must be at least ${opts.min}`);
        if (opts.max !== undefined && n > opts.max) return bad(`must be at most ${opts.max}`);
        return ok(n);
      },
    };
  },
  boolean(opts: Options<boolean>): Field<boolean> {
    return {
      ...opts,
      parse: (raw) => {
        const v = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return ok(true);
        if (['0', 'false', 'no', 'off'].includes(v)) return ok(false);
        return bad('must be true or false');
      },
    };
  },
  url(opts: Options<string> & { protocols: readonly string[] }): Field<string> {
    return {
      ...opts,
      parse: (raw) => {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          return bad('is not a URL');
        }
        if (!opts.protocols.includes(url.protocol)) return bad(`must use ${opts.protocols.join(' or ')}`);
        return ok(raw);
      },
    };
  },
  /** Comma-separated URLs, e.g. several NATS servers. */
  urls(opts: Options<string[]> & { protocols: readonly string[] }): Field<string[]> {
    return {
      ...opts,
      parse: (raw) => {
        const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
        if (parts.length === 0) return bad('must name at least one URL');
        for (const part of parts) {
          let url: URL;
          try {
            url = new URL(part);
          } catch {
            return bad(`"${part}" is not a URL`);
          }
          if (!opts.protocols.includes(url.protocol)) return bad(`"${part}" must use ${opts.protocols.join(' or ')}`);
        }
        return ok(parts);
      },
    };
  },
  oneOf<const V extends string>(values: readonly V[], opts: Options<V>): Field<V> {
    return {
      ...opts,
      parse: (raw) => ((values as readonly string[]).includes(raw) ? ok(raw as V) : bad(`must be one of ${values.join(', ')}`)),
    };
  },
  list(opts: Options<string[]> & { itemPattern?: RegExp }): Field<string[]> {
    return {
      ...opts,
      parse: (raw) => {
        const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
        const wrong = opts.itemPattern ? items.filter((i) => !opts.itemPattern?.test(i)) : [];
        return wrong.length > 0 ? bad(`has invalid item(s) ${wrong.join(', ')}`) : ok(items);
      },
    };
  },
  optionalString(opts: Omit<Options<string | undefined>, 'default'>): Field<string | undefined> {
    return { ...opts, default: undefined, parse: (raw) => ok(raw) };
  },
};

function hasDefault(f: Field<unknown>): boolean {
  return Object.hasOwn(f, 'default');
}

/** Reads every field of `spec` from `env`; throws ConfigError listing every problem. */
export function loadConfig<S extends ConfigSpec>(spec: S, env: Readonly<Record<string, string | undefined>>): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, f] of Object.entries(spec)) {
    const raw = env[f.env];
    if (raw === undefined || raw === '') {
      if (hasDefault(f)) out[key] = f.default;
      else problems.push(`${f.env} is required: ${f.doc} (e.g. ${f.env}=${f.example})`);
      continue;
    }
    const result = f.parse(raw);
    if (result.ok) out[key] = result.value;
    else {
      const shown = f.isSecret ? '<secret>' : JSON.stringify(raw);
      problems.push(`${f.env}=${shown} ${result.problem} (e.g. ${f.env}=${f.example})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/** A help text for `--help` and docs: every variable, its default and an example. */
export function describeConfig(spec: ConfigSpec): string {
  return Object.values(spec)
    .map((f) => {
      const def = hasDefault(f) ? (f.default === undefined ? ' (optional)' : ` (default ${f.isSecret ? '<secret>' : JSON.stringify(f.default)})`) : ' (required)';
      return `  ${f.env}${def}\n      ${f.doc}. Example: ${f.example}`;
    })
    .join('\n');
}
