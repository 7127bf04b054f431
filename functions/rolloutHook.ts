/**
 * CodeDeploy's BeforeAllowTraffic hook for every function's rollout: before the live alias sends the new
 * version any traffic, it invokes that version once with a smoke event, and tells CodeDeploy whether to go
 * on. A version that cannot start, throws, or answers 5xx never takes a request; CodeDeploy rolls back.
 */
import { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { logger } from "./lib/instrument";
import { ENV, WARMER_EVENT } from "../policy/contracts";

/** What CodeDeploy sends a lifecycle hook. */
export interface HookEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

/** The one Lambda resource of a deployment's AppSpec: the function, its alias and the two versions. */
export interface AppSpecTarget {
  Name: string;
  Alias: string;
  CurrentVersion: string;
  TargetVersion: string;
}

let codedeploy: CodeDeployClient | undefined;
let lambda: LambdaClient | undefined;

export const handler = async (event: HookEvent): Promise<{ status: "Succeeded" | "Failed"; reason?: string }> => {
  codedeploy ??= new CodeDeployClient({});
  lambda ??= new LambdaClient({});
  let reason: string | undefined;
  let target: AppSpecTarget | undefined;
  try {
    const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId: event.DeploymentId }));
    target = appSpecTarget(deploymentInfo?.revision?.appSpecContent?.content);
    const smoke = smokeEvents()[target.Name] ?? WARMER_EVENT;
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: target.Name, Qualifier: target.TargetVersion, Payload: Buffer.from(JSON.stringify(smoke)) }),
    );
    reason = smokeProblem(result.FunctionError, result.Payload ? Buffer.from(result.Payload).toString("utf8") : "");
  } catch (err) {
    reason = (err as Error).message;
  }
  const status = reason === undefined ? "Succeeded" : "Failed";
  // Always answered: a hook that never reports leaves the deployment waiting for an hour before it fails.
  await codedeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
  const fields = { deploymentId: event.DeploymentId, function: target?.Name, version: target?.TargetVersion, status };
  if (reason === undefined) logger.info("smoke test passed", fields);
  else logger.error("smoke test failed: the deployment rolls back", { ...fields, reason });
  return { status, reason };
};

/** The Lambda resource of an AppSpec (JSON, as `npm run rollout` writes it). */
export function appSpecTarget(content: string | undefined): AppSpecTarget {
  if (!content) throw new Error("the deployment has no AppSpec content");
  const spec = JSON.parse(content) as { Resources?: Record<string, { Type?: string; Properties?: AppSpecTarget }>[] };
  const resources = (spec.Resources ?? []).flatMap((r) => Object.values(r));
  const fn = resources.find((r) => r.Type === "AWS::Lambda::Function");
  const p = fn?.Properties;
  if (!p?.Name || !p.Alias || !p.TargetVersion)
    throw new Error("the AppSpec names no AWS::Lambda::Function with Name, Alias and TargetVersion");
  return p;
}

/** Why a smoke invocation failed: a function error, or an HTTP-shaped answer of 500 or more; undefined when it passed. */
export function smokeProblem(functionError: string | undefined, payload: string): string | undefined {
  if (functionError) return `the new version failed (${functionError}): ${payload.slice(0, 500)}`;
  let answer: unknown;
  try {
    answer = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const status = (answer as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 500) return `the new version answered ${status}: ${payload.slice(0, 500)}`;
  return undefined;
}

function smokeEvents(): Record<string, unknown> {
  const raw = process.env[ENV.rolloutSmokeEvents];
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}
