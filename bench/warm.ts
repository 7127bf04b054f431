/**
 * Warm durations of every function, measured on the local cloud running the prod stack: real
 * handlers, real DynamoDB and SQS emulators, requests through the HTTP API with the origin header
 * CloudFront would add, the queue worker fed by those orders, the report fired by its schedule.
 */
import { startLocalCloud } from "../local/cloud";
import { findFunction, LocalModel } from "../local/model";
import type { InvocationReport } from "../local/console";
import { localSecretVariable } from "../graph/stack-config";
import { ORIGIN_VERIFY_HEADER } from "../policy/contracts";
import { median } from "./measure";

const ORDER = { customerId: "bench", items: [{ sku: "SKU-1", quantity: 2 }] };

/** Median warm duration in ms by function name, from `requests` rounds of traffic; cold starts and warm-ups are left out. */
export async function warmDurations(programDir: string, requests: number): Promise<Record<string, number>> {
  // The edge adds this header in the cloud; locally the client does, with a value of its own.
  const originSecret = `bench-${process.pid}`;
  const variable = localSecretVariable("originVerifySecret");
  const saved = process.env[variable];
  process.env[variable] = originSecret;
  const reports: InvocationReport[] = [];
  const cloud = await startLocalCloud({
    programDir,
    stack: "prod",
    port: 0,
    write: () => undefined,
    invocationLines: false,
    stateFile: false,
    onInvocation: (r) => reports.push(r),
  });
  try {
    const headers = { [ORIGIN_VERIFY_HEADER]: originSecret };
    const expect = async (response: Promise<Response>, status: number) => {
      const r = await response;
      if (r.status !== status) throw new Error(`${r.url}: expected ${status}, got ${r.status}: ${await r.text()}`);
      return r;
    };
    const orderIds: string[] = [];
    for (let i = 0; i < requests; i++) {
      await expect(fetch(`${cloud.url}/health`, { headers }), 200);
      const created = (await (
        await expect(
          fetch(`${cloud.url}/orders`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify(ORDER),
          }),
          202,
        )
      ).json()) as { orderId: string };
      orderIds.push(created.orderId);
      await expect(fetch(`${cloud.url}/orders/${created.orderId}`, { headers }), 200);
    }
    for (const schedule of cloud.model.schedules.filter((s) => !/warm/i.test(s.name))) {
      for (let i = 0; i < Math.min(requests, 5); i++) {
        const before = reports.length;
        cloud.fireSchedule(schedule.name);
        await until(async () => reports.slice(before).some((r) => r.trigger.includes(schedule.name)), `schedule ${schedule.name}`);
      }
    }
    // The queue worker has run for every order once each order reads back processed.
    const pending = new Set(orderIds);
    await until(async () => {
      for (const id of [...pending]) {
        const order = (await (await expect(fetch(`${cloud.url}/orders/${id}`, { headers }), 200)).json()) as { status: string };
        if (order.status === "processed") pending.delete(id);
      }
      return pending.size === 0;
    }, "the queue worker to process every order");
  } finally {
    await cloud.stop();
    if (saved === undefined) delete process.env[variable];
    else process.env[variable] = saved;
  }
  const byFunction: Record<string, number[]> = {};
  for (const r of reports) {
    if (r.initMs !== undefined || r.error || /warm/i.test(r.trigger)) continue;
    (byFunction[r.functionName] ??= []).push(r.durationMs);
  }
  const unmeasured = triggered(cloud.model).filter((name) => !byFunction[name]);
  if (unmeasured.length)
    throw new Error(`no warm invocation measured for ${unmeasured.join(", ")}: only cold starts or errors; use more requests`);
  return Object.fromEntries(Object.entries(byFunction).map(([name, values]) => [name, median(values)]));
}

/**
 * The functions a request, a message or a schedule reaches: what the bench drives. A rollout's
 * pre-traffic hook runs only when CodeDeploy calls it, during a deployment.
 */
function triggered(model: LocalModel): string[] {
  const refs = [
    ...model.apis.flatMap((api) => api.routes.flatMap((r) => (r.integration.type === "AWS_PROXY" ? [r.integration.functionArn] : []))),
    ...model.eventSourceMappings.map((m) => m.functionName),
    ...model.schedules.flatMap((s) => s.targets.map((t) => t.functionArn)),
  ];
  return [...new Set(refs.map((ref) => findFunction(model, ref)?.name).filter((n): n is string => n !== undefined))];
}

async function until(done: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
