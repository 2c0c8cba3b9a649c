/** `driftless audit verify` and `driftless token create|list|revoke`. */
import { requiredOption, stringOption, type Command } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { dash, json, keyValues, table, time } from '../format.js';

interface VerifyResult {
  isIntact: boolean;
  checkedRows: number;
  firstSeq: number | null;
  lastSeq: number | null;
  tipHash: string | null;
  firstBreak: { seq: number; eventId: string; reason: string; message: string } | null;
}

interface ApiToken {
  id: string;
  name: string;
  role: string;
  email: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

const ROLES = ['viewer', 'operator', 'admin'] as const;

export const adminCommands: readonly Command[] = [
  {
    path: ['audit', 'verify'],
    summary: 'Walk the audit log\'s hash chain; exit 1 if any row was changed, removed or inserted',
    args: [],
    options: {},
    examples: ['driftless audit verify'],
    async run(ctx) {
      const result = await ctx.api.get<VerifyResult>('/v1/audit/verify');
      if (ctx.format === 'json') ctx.print(json(result));
      else if (result.isIntact) {
        ctx.print(
          `${ctx.p.paint('green', 'intact')}: ${result.checkedRows} row${result.checkedRows === 1 ? '' : 's'} checked` +
            (result.lastSeq === null ? '' : ` (seq ${result.firstSeq ?? '-'}..${result.lastSeq}, tip ${dash(result.tipHash)})`) +
            '\n',
        );
      } else {
        const b = result.firstBreak;
        ctx.print(`${ctx.p.paint('red', 'BROKEN')}: ${b ? `row ${b.seq} (event ${b.eventId}): ${b.reason}: ${b.message}` : 'the chain does not verify'}\n`);
      }
      return result.isIntact ? ExitCode.ok : ExitCode.failed;
    },
  },
  {
    path: ['token', 'create'],
    summary: 'Create an API token (admin); its secret is printed once',
    args: [],
    options: {
      name: { type: 'string', value: 'NAME', isRequired: true, description: 'Who or what uses it; names the caller in the audit log (required, unique)' },
      role: { type: 'string', value: 'ROLE', isRequired: true, description: 'viewer, operator or admin (required)' },
      email: { type: 'string', value: 'EMAIL', description: 'The person behind the token: promotions are committed as authored by "NAME <EMAIL>" (default NAME@users.driftless)' },
    },
    examples: ['driftless token create --name ci-pipeline --role viewer', 'driftless token create --name "Alice Example" --role operator --email alice@example.com'],
    async run(ctx, _positionals, values) {
      const name = requiredOption(values, 'name', 'NAME');
      const role = requiredOption(values, 'role', 'ROLE');
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
      const email = stringOption(values, 'email');
      const res = await ctx.api.post<{ token: ApiToken; secret: string }>('/v1/tokens', { name, role, ...(email === undefined ? {} : { email }) });
      if (ctx.format === 'json') {
        ctx.print(json(res));
        return ExitCode.ok;
      }
      ctx.print(keyValues([['Id', res.token.id], ['Name', res.token.name], ['Role', res.token.role], ['Email', dash(res.token.email)]], ctx.p));
      ctx.print(`\n${ctx.p.paint('bold', 'Token')} (shown once; store it now, e.g. as DRIFTLESS_TOKEN):\n  ${res.secret}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ['token', 'list'],
    summary: 'List API tokens with role and last use (never a secret)',
    args: [],
    options: { all: { type: 'boolean', description: 'Include revoked tokens' } },
    examples: ['driftless token list --all'],
    async run(ctx, _positionals, values) {
      const { items } = await ctx.api.get<{ items: ApiToken[] }>('/v1/tokens', { includeRevoked: values['all'] === true });
      if (ctx.format === 'json') {
        ctx.print(json(items));
        return ExitCode.ok;
      }
      ctx.print(
        table(
          items,
          [
            { header: 'ID', value: (t) => t.id },
            { header: 'NAME', value: (t) => t.name },
            { header: 'ROLE', value: (t) => t.role, style: (t) => (t.role === 'admin' ? 'yellow' : undefined) },
            { header: 'CREATED', value: (t) => time(t.createdAt) },
            { header: 'CREATED BY', value: (t) => dash(t.createdBy) },
            { header: 'LAST USED', value: (t) => time(t.lastUsedAt) },
            { header: 'REVOKED', value: (t) => time(t.revokedAt), style: (t) => (t.revokedAt ? 'red' : undefined) },
          ],
          ctx.p,
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['token', 'revoke'],
    summary: 'Revoke an API token; requests made with it are refused from then on',
    args: [{ name: 'ID', description: 'The token id (from `driftless token list`), e.g. tok_3f2c9a1e0b7d' }],
    options: {},
    examples: ['driftless token revoke tok_3f2c9a1e0b7d'],
    async run(ctx, [id = '']) {
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new UsageError(`ID must be a token id such as tok_3f2c9a1e0b7d, got ${JSON.stringify(id)}`);
      const token = await ctx.api.delete<ApiToken>(`/v1/tokens/${id}`);
      ctx.print(ctx.format === 'json' ? json(token) : `Revoked token ${token.id} "${token.name}" (${token.role}) at ${time(token.revokedAt)}.\n`);
      return ExitCode.ok;
    },
  },
];
