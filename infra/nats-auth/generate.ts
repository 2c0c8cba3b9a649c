/**
 * `npm run nats:auth -- --out DIR`: generates the NATS operator-mode material for a Driftless
 * installation — operator (plus a signing key), system account, DRIFTLESS account, creds for
 * the control-plane services and a system user, and a nats-server configuration that trusts them.
 * Seeds are secrets: the files holding them are written with mode 0600.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateOperatorSetup, mintSystemUser, mintUserCreds, renderServerConfig, servicePermissions } from '@driftless/nats-auth';

const USAGE = `Usage: npm run nats:auth -- --out DIR [--force] [--port 4222] [--store-dir PATH] [--resolver-dir PATH]

Generates NATS operator-mode material for Driftless into DIR:
  nats-server.conf          server configuration (operator, full account resolver, JetStream)
  operator.jwt              the operator JWT (public)
  secrets/operator.seed     the operator identity seed: keep it offline
  secrets/operator-signing.seed  signs account updates (revocations); give it to the audit service
  secrets/account.seed      the DRIFTLESS account seed: signs agent credentials; give it to the audit service
  secrets/system.seed       the system account seed
  creds/repo-watcher.creds  NATS credentials for the repo-watcher
  creds/audit.creds         NATS credentials for the audit service
  creds/system.creds        a system-account user that pushes account updates
  accounts.json             public keys (no secrets)
`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        port: { type: 'string', default: '4222' },
        'store-dir': { type: 'string', default: '/data/jetstream' },
        'resolver-dir': { type: 'string', default: '/data/resolver' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!args.out) {
    process.stderr.write(`--out DIR is required\n\n${USAGE}`);
    return 2;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`--port must be a TCP port (1-65535), got ${JSON.stringify(args.port)}\n`);
    return 2;
  }
  const out = resolve(args.out);
  if (existsSync(join(out, 'operator.jwt')) && !args.force) {
    process.stderr.write(`${out} already holds operator material; refusing to overwrite it (use --force to replace it, which invalidates every existing credential)\n`);
    return 1;
  }
  mkdirSync(join(out, 'secrets'), { recursive: true, mode: 0o700 });
  mkdirSync(join(out, 'creds'), { recursive: true, mode: 0o700 });

  const setup = await generateOperatorSetup();
  const secret = (path: string, content: string) => writeFileSync(join(out, path), content, { mode: 0o600 });
  writeFileSync(join(out, 'nats-server.conf'), renderServerConfig(setup, { port, storeDir: args['store-dir'], resolverDir: args['resolver-dir'] }));
  writeFileSync(join(out, 'operator.jwt'), `${setup.operator.jwt}\n`);
  secret('secrets/operator.seed', `${setup.operator.seed}\n`);
  secret('secrets/operator-signing.seed', `${setup.operatorSigningKey.seed}\n`);
  secret('secrets/account.seed', `${setup.account.seed}\n`);
  secret('secrets/system.seed', `${setup.system.seed}\n`);
  for (const service of ['repo-watcher', 'audit']) {
    const { creds } = await mintUserCreds({ accountSeed: setup.account.seed, name: service, permissions: servicePermissions() });
    secret(`creds/${service}.creds`, creds);
  }
  secret('creds/system.creds', (await mintSystemUser(setup)).creds);
  writeFileSync(
    join(out, 'accounts.json'),
    `${JSON.stringify(
      {
        operator: setup.operator.publicKey,
        operatorSigningKey: setup.operatorSigningKey.publicKey,
        system: setup.system.publicKey,
        account: { name: setup.account.name, publicKey: setup.account.publicKey, jwt: setup.account.jwt },
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`wrote NATS operator-mode material to ${out}\n  start the server with: nats-server -c ${join(out, 'nats-server.conf')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nats:auth failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
