/** The few audit API calls the demo shows. */

export interface InventoryItem {
  cluster: string;
  component: string;
  stage: string | null;
  apps: string[];
  applied: { version: string } | null;
  health: { status: string } | null;
  sync: string;
}

export interface Transition {
  kind: string;
  occurredAt: string;
  fromVersion: string | null;
  toVersion: string | null;
  actor: string | null;
  commitSha: string | null;
  detail: Record<string, unknown>;
}

export interface Verification {
  isIntact: boolean;
  checkedRows: number;
  firstBreak: { seq: number } | null;
}

export function apiClient(baseUrl: string, token: string) {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    inventory: async () => (await get<{ items: InventoryItem[] }>('/v1/inventory')).items,
    transitions: async (query: Record<string, string | number>) =>
      (await get<{ items: Transition[] }>(`/v1/transitions?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`)).items,
    verify: () => get<Verification>('/v1/audit/verify'),
  };
}
