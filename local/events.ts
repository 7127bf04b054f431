/**
 * What the serverless helpers of @pulumi/aws subscribe functions to, delivered locally as AWS delivers
 * it, each with its event shape and the permission AWS checks:
 * - S3 event notifications (`bucket.onObjectCreated`, or a BucketNotification) to functions, queues and
 *   topics, with the configured events and key prefix and suffix;
 * - SNS subscriptions: to queues by fauxqs itself (raw delivery and filter policies as configured), and
 *   to functions through a queue of the local cloud's own, so fauxqs applies the filter policy and the
 *   function gets SNS's event;
 * - EventBridge: `PutEvents` (AWS_ENDPOINT_URL_EVENTBRIDGE points at this module's server) on the default
 *   bus or a custom one, matched against each rule's event pattern and delivered to its targets.
 * Lambda invokes asynchronously (its retries and failure destination apply), after the function's
 * permission for the service and source; queues and topics need their policy to allow the service.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { AlarmBoard } from "./alarms";
import type { Reporter } from "./console";
import type { S3Change } from "./emulators";
import { matchesPattern } from "./event-pattern";
import { targetPayload, TargetPayload } from "./input-transformer";
import { countSchedulerAttempt, deadLetterEvent } from "./event-dlq";
import { apiCodeOf, DeliveryFailure, deliverWithRetries, errorCodeOf, RETRY_BASE_MS, RetryPolicy, RetryWaits } from "./event-retry";
import type { IamAuthority } from "./iam/authority";
import { accessKeyOf } from "./iam/requests";
import type { Destinations, LambdaService } from "./lambda/service";
import { findFunction, GraphRefusedError, LocalModel, LocalSchedule } from "./model";
import { PendingDeliveries, PendingRuleDelivery } from "./pending";
import type { Clients, Provisioned } from "./provision";
import { isFifoQueueArn } from "../policy/fifo-target";

export interface EventRouterOptions {
  model: LocalModel;
  /** The local cloud's own clients (they go straight to the emulators). */
  clients: Clients;
  provisioned: Provisioned;
  reporter: Reporter;
  alarms: AlarmBoard;
  iam?: IamAuthority;
  /** Where a rule's undeliverable events go: its targets' DLQs. @default none (they are dropped, and said so) */
  destinations?: Destinations;
  /** A rule target's first retry wait; each further one doubles it (see `retryDelay`). @default RETRY_BASE_MS (1000) */
  retryBaseMs?: number;
  /** Where deliveries to queues and topics are kept until done (a stop drops or saves them). @default a ledger of its own */
  pending?: PendingDeliveries;
}

/**
 * A target of a delivery: a function, a queue or a topic, by its cloud ARN. The service sends it, as
 * `sourceArn`, unless `viaRole` names the role it sends with (an EventBridge Scheduler target's).
 */
type Target = { arn: string; service: string; sourceArn: string; trigger: string; viaRole?: string; messageGroupId?: string };

/**
 * The code each target API answers a caller it does not authorise with, which a Scheduler dead letter
 * carries as its ERROR_CODE: Lambda's AccessDeniedException, SQS's AccessDenied, SNS's AuthorizationError.
 */
const ACCESS_DENIED: Record<string, string> = { lambda: "AccessDeniedException", sqs: "AccessDenied", sns: "AuthorizationError" };

/** The code each target API answers for a target that does not exist, as ERROR_CODE of a Scheduler dead letter. */
const NOT_FOUND: Record<string, string> = {
  lambda: "ResourceNotFoundException",
  sqs: "AWS.SimpleQueueService.NonExistentQueue",
  sns: "NotFound",
};

/** A topic's subscription of a function: the local cloud's own queue that carries SNS's messages to it. */
interface TopicDelivery {
  queueUrl: string;
  topicArn: string;
  subscriptionArn: string;
  functionRef: string;
  trigger: string;
  /** The subscription's dead-letter queue, for what SNS may not deliver. @default none */
  deadLetterArn?: string;
  /** Where what SNS may not deliver goes, once worked out: the DLQ, or null when SNS discards it. */
  deadLetterQueue?: string | null;
}

/** A rule's or a schedule's target, as the graph declares it now: what delivering to it needs. */
interface RouteTarget {
  /** `viaRole`: the role a Scheduler schedule sends with; none for a rule, which EventBridge sends as itself. */
  rule: { name: string; arn: string; trigger: string; viaRole?: string };
  target: { arn: string; deadLetterArn?: string; retryPolicy: RetryPolicy; messageGroupId?: string };
}

export class EventRouter {
  /** SNS subscriptions that only the cloud delivers (email, sms, https): listed at start-up. */
  readonly cloudOnlySubscriptions: string[] = [];
  private readonly loops: Promise<void>[] = [];
  /** The local cloud's own queues that carry SNS messages to functions, one per subscription. */
  private readonly topicDeliveries: TopicDelivery[] = [];
  private readonly abort = new AbortController();
  /** Retries waiting for their turn; a stop ends them, and says the router is stopped. */
  private readonly waits = new RetryWaits();
  private readonly pending: PendingDeliveries;
  private server?: http.Server;
  /** Set by start: until then PutEvents answers 503. */
  private lambdaService?: LambdaService;

  constructor(private readonly options: EventRouterOptions) {
    this.pending = options.pending ?? new PendingDeliveries();
  }

  private get running(): boolean {
    return !this.waits.stopped;
  }

  private get lambda(): LambdaService {
    return this.lambdaService!;
  }

  /** Serves PutEvents (503 until started); returns the endpoint, for AWS_ENDPOINT_URL_EVENTBRIDGE. */
  async listen(host = "127.0.0.1"): Promise<string> {
    this.server = http.createServer((req, res) => this.serveEventBridge(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Subscribes what the topics declare and starts delivering bucket changes and events to `lambda`'s functions. */
  async start(lambda: LambdaService, onS3Change: (listener: (change: S3Change) => void) => void): Promise<void> {
    this.lambdaService = lambda;
    this.refuseUnvalidatedNotifications();
    await this.subscribeTopics();
    onS3Change((change) => void this.onS3Change(change));
  }

  async stop(): Promise<void> {
    // Stopped first, so a loop the abort wakes sees the router stopped.
    this.waits.stop();
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await this.keepTopicDeliveries();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  // ---- SNS

  private async subscribeTopics(): Promise<void> {
    const { model, clients, provisioned } = this.options;
    for (const topic of model.topics) {
      const topicArn = provisioned.localArns.get(topic.arn)!;
      for (const subscription of topic.subscriptions) {
        const attributes: Record<string, string> = {};
        if (subscription.filterPolicy) attributes.FilterPolicy = subscription.filterPolicy;
        if (subscription.filterPolicyScope) attributes.FilterPolicyScope = subscription.filterPolicyScope;
        const trigger = `sns ${topic.name}`;
        if (subscription.protocol === "sqs" && provisioned.localArns.has(subscription.endpoint)) {
          // SNS sends with its own principal: the queue's policy must allow it for this topic. One that does not
          // is a client-side error, which SNS does not retry: every message goes to the subscription's DLQ.
          let endpoint = subscription.endpoint;
          if (!this.serviceMay("sns.amazonaws.com", { action: "sqs:SendMessage", resource: endpoint }, topic.arn, trigger)) {
            endpoint = this.deadLetterQueueFor(subscription, topic.arn, trigger) ?? "";
            if (!endpoint) continue;
          }
          if (subscription.rawMessageDelivery) attributes.RawMessageDelivery = "true";
          await clients.sns.send(
            new SubscribeCommand({
              TopicArn: topicArn,
              Protocol: "sqs",
              Endpoint: provisioned.localArns.get(endpoint),
              Attributes: attributes,
            }),
          );
        } else if (subscription.protocol === "lambda" && findFunction(model, subscription.endpoint)) {
          // A queue of the local cloud's own takes the function's deliveries: fauxqs filters and wraps them as SNS does.
          const name = `local-sns-${topic.name}-${subscription.arn.split(":").pop()}`.slice(0, 80).replace(/[^\w-]/g, "-");
          const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
          const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
          await clients.sns.send(
            new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: Attributes!.QueueArn, Attributes: attributes }),
          );
          const delivery = {
            queueUrl: QueueUrl!,
            topicArn: topic.arn,
            subscriptionArn: subscription.arn,
            functionRef: subscription.endpoint,
            trigger,
            deadLetterArn: subscription.deadLetterArn,
          };
          this.topicDeliveries.push(delivery);
          this.loops.push(this.deliverToFunction(delivery));
        } else this.cloudOnlySubscriptions.push(`${topic.name} → ${subscription.protocol}:${subscription.endpoint}`);
      }
    }
  }

  /**
   * Where a subscription's messages go when SNS may not deliver them (a client-side error, not retried):
   * its redrive policy's queue, when SNS may send there for the topic; otherwise none, and SNS discards them.
   */
  private deadLetterQueueFor(
    subscription: { deadLetterArn?: string; endpoint: string },
    topicArn: string,
    trigger: string,
  ): string | undefined {
    const dlq = subscription.deadLetterArn;
    const { provisioned, reporter } = this.options;
    if (!dlq || !provisioned.queueUrls.has(dlq)) {
      reporter.info(
        `${trigger} → ${subscription.endpoint}: ${dlq ? `its dead-letter queue ${dlq} is not in the graph, so` : "the subscription has no dead-letter queue (redrivePolicy), so"} SNS discards what it may not deliver`,
      );
      return undefined;
    }
    if (!this.serviceMay("sns.amazonaws.com", { action: "sqs:SendMessage", resource: dlq }, topicArn, trigger)) return undefined;
    reporter.info(
      `${trigger} → ${subscription.endpoint}: SNS may not deliver there, a client-side error it does not retry, so each message goes to the subscription's dead-letter queue ${dlq}`,
    );
    return dlq;
  }

  private async deliverToFunction(delivery: TopicDelivery): Promise<void> {
    const { functionRef, trigger } = delivery;
    while (this.running) {
      try {
        await this.takeTopicMessages(delivery, 1, (event) => this.lambda.invokeAsync(functionRef, event, trigger));
      } catch (err) {
        if (!this.running) return;
        this.options.reporter.info(`${trigger}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * Takes one batch (waiting up to `waitSeconds` for it) from a subscription's queue: each message SNS may
   * deliver to the function goes to `accept` as SNS's event, with when SNS took it; every one is deleted.
   * Returns how many it took.
   */
  private async takeTopicMessages(
    delivery: TopicDelivery,
    waitSeconds: number,
    accept: (event: unknown, sentAt: number) => void,
  ): Promise<number> {
    const { queueUrl, topicArn, subscriptionArn, functionRef, trigger } = delivery;
    const { clients, provisioned } = this.options;
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["SentTimestamp"],
      }),
      // A stop ends a wait; what the stop keeps is taken without one (keepTopicDeliveries).
      waitSeconds > 0 ? { abortSignal: this.abort.signal } : {},
    );
    for (const message of Messages) {
      if (this.lambda.permitsInvoke(functionRef, "sns.amazonaws.com", topicArn, trigger))
        accept(snsEvent(JSON.parse(message.Body!), topicArn, subscriptionArn), Number(message.Attributes?.SentTimestamp ?? Date.now()));
      else {
        // A client-side error: not retried; the message goes to the subscription's DLQ as SNS would have sent it.
        const dlq = (delivery.deadLetterQueue ??=
          this.deadLetterQueueFor({ ...delivery, endpoint: functionRef }, topicArn, trigger) ?? null);
        if (dlq) await clients.sqs.send(new SendMessageCommand({ QueueUrl: provisioned.queueUrls.get(dlq), MessageBody: message.Body! }));
      }
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    return Messages.length;
  }

  /**
   * SNS accepted the messages still in the local cloud's own queues to functions: at a stop each becomes
   * the async event Lambda would have accepted, in the ledger (so `--persist` saves it, and otherwise the
   * stop says it drops it), counted from when SNS took it, instead of being lost with the queue.
   */
  private async keepTopicDeliveries(): Promise<void> {
    for (const delivery of this.topicDeliveries) {
      const { functionRef, trigger } = delivery;
      const keep = (event: unknown, received: number) =>
        this.pending.add({ kind: "lambda", function: functionRef, requestId: randomUUID(), event, trigger, received, attempts: 0 });
      try {
        while ((await this.takeTopicMessages(delivery, 0, keep)) > 0);
      } catch (err) {
        this.options.reporter.info(`${trigger}: could not keep the messages waiting for ${functionRef}: ${(err as Error).message}`);
      }
    }
  }

  // ---- S3

  /**
   * S3 checks a notification configuration's destinations when it is put: one S3 may not deliver to fails
   * PutBucketNotificationConfiguration ("Unable to validate the following destination configurations"),
   * and with it `pulumi up`. With IAM on, such a destination of the program stops the start here too;
   * one the program does not make is not the local cloud's to judge.
   */
  private refuseUnvalidatedNotifications(): void {
    if (!this.options.iam) return;
    for (const notification of this.options.model.bucketNotifications) {
      const bucketArn = `arn:aws:s3:::${notification.bucket}`;
      const trigger = `s3 ${notification.bucket} (its notification configuration)`;
      for (const target of notification.targets) {
        const via: Target = { arn: target.arn, service: "s3.amazonaws.com", sourceArn: bucketArn, trigger };
        const allowed =
          target.kind === "lambda"
            ? !this.lambda.knows(target.arn) || this.lambda.permitsInvoke(target.arn, via.service, bucketArn, trigger)
            : !this.deliversTo(target.arn) || this.targetMay(via, target.kind === "sqs" ? "sqs:SendMessage" : "sns:Publish");
        if (!allowed)
          throw new GraphRefusedError(
            `bucket ${notification.bucket}: S3 may not deliver its notifications to ${target.arn}, so AWS refuses the bucket's notification configuration ("Unable to validate the following destination configurations") and the local cloud does not start on it either`,
          );
      }
    }
  }

  private async onS3Change(change: S3Change): Promise<void> {
    const notification = this.options.model.bucketNotifications.find((n) => n.bucket === change.bucket);
    if (!notification || !this.running || !this.lambdaService) return;
    const eventName = { put: "ObjectCreated:Put", copy: "ObjectCreated:Copy", delete: "ObjectRemoved:Delete" }[change.kind];
    const targets = notification.targets.filter(
      (t) =>
        t.events.some((e) => e === `s3:${eventName}` || (e.endsWith(":*") && `s3:${eventName}`.startsWith(e.slice(0, -1)))) &&
        change.key.startsWith(t.filterPrefix ?? "") &&
        change.key.endsWith(t.filterSuffix ?? ""),
    );
    if (targets.length === 0) return;
    let size: number | undefined;
    let eTag: string | undefined;
    if (change.kind !== "delete") {
      const head = await this.options.clients.s3
        .send(new HeadObjectCommand({ Bucket: change.bucket, Key: change.key }))
        .catch(() => undefined);
      size = head?.ContentLength;
      eTag = head?.ETag?.replace(/"/g, "");
    }
    const bucketArn = `arn:aws:s3:::${change.bucket}`;
    for (const target of targets) {
      const event = s3Event(this.options.model.region, change, eventName, target.id ?? "local", size, eTag);
      await this.deliver(
        { arn: target.arn, service: "s3.amazonaws.com", sourceArn: bucketArn, trigger: `s3 ${change.bucket} ${eventName}` },
        event,
        { subject: "Amazon S3 Notification" },
      );
    }
  }

  // ---- EventBridge

  private serveEventBridge(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": randomUUID(),
          ...(type ? { "x-amzn-errortype": type } : {}),
        });
        res.end(JSON.stringify(body));
      };
      if (!this.lambdaService)
        return reply(503, { __type: "ServiceUnavailable", message: "the local cloud is still starting" }, "ServiceUnavailable");
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target !== "AWSEvents.PutEvents")
        return reply(
          400,
          { __type: "UnknownOperationException", message: `${target || "this request"} is not emulated locally; PutEvents is` },
          "UnknownOperationException",
        );
      let body: { Entries?: Record<string, any>[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return reply(400, { __type: "SerializationException", message: "the body is not JSON" }, "SerializationException");
      }
      const entries = body.Entries ?? [];
      if (entries.length < 1 || entries.length > 10)
        return reply(
          400,
          { __type: "ValidationException", message: `PutEvents takes 1 to 10 entries (got ${entries.length})` },
          "ValidationException",
        );
      const caller = this.options.iam?.functionForAccessKey(accessKeyOf(req.headers, req.url ?? "/"));
      const results = entries.map((entry) => this.putEvent(entry, caller));
      // Denied on every bus it names: the call is refused; on some: those entries fail.
      const denied = results.filter((r): r is { denied: string } => "denied" in r);
      if (denied.length === results.length)
        return reply(400, { __type: "AccessDeniedException", Message: denied[0].denied }, "AccessDeniedException");
      const out = results.map((r) => ("denied" in r ? { ErrorCode: "AccessDeniedException", ErrorMessage: r.denied } : r));
      reply(200, { FailedEntryCount: out.filter((r) => "ErrorCode" in r).length, Entries: out });
    });
  }

  /**
   * One PutEvents entry sent by API Gateway for an HTTP API's EventBridge-PutEvents integration, with the
   * integration's role (`credentialsArn`): with IAM on, a role that may not put events on the bus, or none, is denied.
   */
  putEventAs(entry: Record<string, any>, roleArn: string | undefined): ReturnType<EventRouter["putEvent"]> {
    const iam = this.options.iam;
    if (iam && !roleArn) return { denied: "the integration has no credentialsArn, so API Gateway has no role to call EventBridge with" };
    return this.putEvent(entry, iam ? { name: "API Gateway", arn: "", roleArn: roleArn! } : undefined);
  }

  /** One PutEvents entry: checked as EventBridge checks it, then matched against the bus's rules. */
  private putEvent(
    entry: Record<string, any>,
    caller: ReturnType<IamAuthority["functionForAccessKey"]>,
  ): { EventId: string } | { ErrorCode: string; ErrorMessage: string } | { denied: string } {
    const { model } = this.options;
    const busRef = String(entry.EventBusName ?? "default");
    const bus = model.eventBuses.find((b) => b.name === busRef || b.arn === busRef);
    if (!bus) return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${busRef} does not exist.` };
    if (caller) {
      const verdict = this.options.iam!.checkFunction(caller, [{ action: "events:PutEvents", resource: bus.arn }]);
      if (!verdict.allowed) return { denied: verdict.message ?? "Access denied" };
    }
    for (const field of ["Source", "DetailType", "Detail"]) {
      if (typeof entry[field] !== "string" || entry[field] === "")
        return { ErrorCode: "InvalidArgument", ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    if (!detail || typeof detail !== "object" || Array.isArray(detail))
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    const id = randomUUID();
    const event = {
      version: "0",
      id,
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: model.accountId,
      time: (entry.Time ? new Date(entry.Time) : new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: model.region,
      resources: entry.Resources ?? [],
      detail,
    };
    for (const rule of model.eventRules.filter((r) => r.enabled && r.busName === bus.name && matchesPattern(r.pattern, event))) {
      for (const target of rule.targets) {
        this.enqueue(rule.arn, target.arn, targetPayload(target, event, rule));
      }
    }
    return { EventId: id };
  }

  // ---- delivery

  /**
   * Delivers an event to a function (async), a queue or a topic, if the service may: a queue's message or
   * a topic's is `body` (@default the event's JSON). Resolves with why not, in EventBridge's words
   * (ERROR_CODE and ERROR_MESSAGE) and the target API's (its error code), or undefined once delivered.
   */
  private async deliver(
    target: Target,
    event: unknown,
    { subject, body = JSON.stringify(event) }: { subject?: string; body?: string } = {},
  ): Promise<DeliveryFailure | undefined> {
    const { model, clients, provisioned } = this.options;
    const lambda = this.lambda;
    const service = target.arn.split(":")[2];
    const refused = (action: string): DeliveryFailure => ({
      code: "NO_PERMISSIONS",
      message: `${target.viaRole ?? "EventBridge"} may not ${action} ${target.arn}`,
      apiCode: ACCESS_DENIED[service],
    });
    try {
      if (service === "lambda") {
        if (!lambda.permitsInvoke(target.arn, target.service, target.sourceArn, target.trigger)) return refused("invoke");
        lambda.invokeAsync(target.arn, event, target.trigger);
      } else if (service === "sqs" && provisioned.queueUrls.has(target.arn)) {
        if (!this.targetMay(target, "sqs:SendMessage")) return refused("sqs:SendMessage on");
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: provisioned.queueUrls.get(target.arn),
            MessageBody: body,
            // A FIFO queue takes the target's message group; its deduplication must be content-based, as in AWS.
            MessageGroupId: isFifoQueueArn(target.arn) ? target.messageGroupId : undefined,
          }),
        );
      } else if (service === "sns" && provisioned.localArns.has(target.arn)) {
        if (!this.targetMay(target, "sns:Publish")) return refused("sns:Publish on");
        await clients.sns.send(new PublishCommand({ TopicArn: provisioned.localArns.get(target.arn), Message: body, Subject: subject }));
      } else {
        this.options.reporter.info(
          `${target.trigger}: the target ${target.arn} is not in the graph (${model.project}/${model.stack}); nothing delivered`,
        );
        return { code: "NO_RESOURCE", message: `the target ${target.arn} does not exist`, apiCode: NOT_FOUND[service] };
      }
      return undefined;
    } catch (err) {
      this.options.reporter.info(`${target.trigger}: could not deliver to ${target.arn}: ${(err as Error).message}`);
      return { code: errorCodeOf(err), message: (err as Error).message, apiCode: apiCodeOf(err) };
    }
  }

  /** Whether a schedule's target is a queue or topic of the graph, which `deliverScheduled` delivers to. */
  deliversTo(arn: string): boolean {
    return this.options.provisioned.queueUrls.has(arn) || this.options.provisioned.localArns.has(arn);
  }

  /**
   * A schedule's event for a queue or topic target: delivered, retried and dead-lettered as a rule's
   * target is. A payload `asText` is the target's input, sent as written (a Scheduler schedule's input
   * to a queue or topic need not be JSON).
   */
  deliverScheduled(schedule: LocalSchedule, targetArn: string, payload: TargetPayload): void {
    this.enqueue(schedule.arn, targetArn, payload);
  }

  /** A new delivery of a rule's or a schedule's payload to one target: kept pending until done, and started. */
  private enqueue(ruleArn: string, targetArn: string, { event, asText }: TargetPayload): void {
    void this.deliverToTarget(
      this.pending.add({
        kind: "eventbridge",
        rule: ruleArn,
        target: targetArn,
        event,
        ...(asText && { asText }),
        arrived: Date.now(),
        retry: 0,
      }),
    );
  }

  /**
   * Takes up a delivery a stop left pending (`--persist`): returns false, and does nothing, when its rule
   * or schedule, or the target, is no longer in the graph.
   */
  resume(entry: PendingRuleDelivery): boolean {
    if (!this.routeOf(entry)) return false;
    void this.deliverToTarget(this.pending.add(entry));
    return true;
  }

  /** The rule (with an event pattern) or schedule and the target a delivery is for, as the graph declares them now. */
  private routeOf(entry: PendingRuleDelivery): RouteTarget | undefined {
    const { eventRules, schedules } = this.options.model;
    const rule = eventRules.find((r) => r.arn === entry.rule);
    if (rule) {
      const target = rule.targets.find((t) => t.arn === entry.target);
      return target && { rule: { name: rule.name, arn: rule.arn, trigger: `eventbridge ${rule.name}` }, target };
    }
    const schedule = schedules.find((s) => s.arn === entry.rule);
    const target = schedule?.targets.find((t) => t.functionArn === entry.target);
    if (!schedule || !target) return undefined;
    return {
      rule: {
        name: schedule.name,
        arn: schedule.arn,
        trigger: `schedule ${schedule.name}`,
        viaRole: schedule.kind === "scheduler" ? target.roleArn : undefined,
      },
      target: { ...target, arn: target.functionArn },
    };
  }

  /**
   * Delivers a rule's or a schedule's event to one target, retrying as the target's RetryPolicy says, then
   * to its DLQ. The entry stays pending while it waits, and when the local cloud stops first.
   */
  private async deliverToTarget(entry: PendingRuleDelivery): Promise<void> {
    const { rule, target } = this.routeOf(entry)!;
    const { trigger } = rule;
    const via: Target = {
      arn: target.arn,
      service: "events.amazonaws.com",
      sourceArn: rule.arn,
      trigger,
      viaRole: rule.viaRole,
      messageGroupId: target.messageGroupId,
    };
    const body = entry.asText ? String(entry.event) : JSON.stringify(entry.event);
    const { name, arn, viaRole } = rule;
    const source = { name, arn, trigger, scheduler: viaRole === undefined ? undefined : { roleArn: viaRole, scheduledAt: entry.arrived } };
    const attempt = async () => {
      const failure = await this.deliver(via, entry.event, { body });
      countSchedulerAttempt(this.options.alarms, source, target.arn, failure);
      return failure;
    };
    const result = await deliverWithRetries(attempt, {
      policy: target.retryPolicy,
      baseMs: this.options.retryBaseMs ?? RETRY_BASE_MS,
      wait: (ms) => this.waits.wait(ms),
      from: { arrived: entry.arrived, retry: entry.retry, failure: entry.lastFailure },
      onRetry: (retry, failure) => {
        entry.retry = retry;
        entry.lastFailure = failure;
      },
    });
    if (result === "stopped") return;
    this.pending.done(entry);
    if (result === "delivered") return;
    await deadLetterEvent(this.options, {
      rule: source,
      target,
      body,
      ...result.failure,
      retryAttempts: result.retries,
      exhausted: result.exhausted,
    });
  }

  /**
   * Whether a target may be sent to: by EventBridge as the service, which the queue's or topic's policy
   * must allow for the rule, or with a Scheduler target's role, whose policies must allow the call (and
   * the key's, for an encrypted queue or topic).
   */
  private targetMay(target: Target, action: string): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    if (target.viaRole === undefined)
      return this.serviceMay(target.service, { action, resource: target.arn }, target.sourceArn, target.trigger);
    return iam.checkRole(target.viaRole, iam.deliveryCalls(target.arn), target.trigger, "its target role").allowed;
  }

  private serviceMay(service: string, call: { action: string; resource: string }, sourceArn: string, trigger: string): boolean {
    return !this.options.iam || this.options.iam.checkServiceCall(service, call, sourceArn, trigger).allowed;
  }
}

/** S3's event message (version 2.1), one record; the key URL-encoded as S3 encodes it. */
export function s3Event(
  region: string,
  change: S3Change,
  eventName: string,
  configurationId: string,
  size?: number,
  eTag?: string,
): unknown {
  const now = new Date();
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: now.toISOString(),
        eventName,
        userIdentity: { principalId: "AWS:LOCAL" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase(), "x-amz-id-2": "local" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId,
          bucket: { name: change.bucket, ownerIdentity: { principalId: "LOCAL" }, arn: `arn:aws:s3:::${change.bucket}` },
          object: {
            key: encodeURIComponent(change.key).replace(/%20/g, "+").replace(/%2F/g, "/"),
            ...(size !== undefined ? { size } : {}),
            ...(eTag ? { eTag } : {}),
            sequencer: now.getTime().toString(16).toUpperCase().padStart(16, "0"),
          },
        },
      },
    ],
  };
}

/** SNS's Lambda event, from the JSON envelope SNS sends a queue: the same fields, as Lambda names them. */
export function snsEvent(envelope: Record<string, any>, topicArn: string, subscriptionArn: string): unknown {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: envelope.Type ?? "Notification",
          MessageId: envelope.MessageId,
          TopicArn: topicArn,
          Subject: envelope.Subject ?? null,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion ?? "1",
          Signature: envelope.Signature ?? "local",
          SigningCertUrl: envelope.SigningCertURL ?? envelope.SigningCertUrl ?? "",
          UnsubscribeUrl: envelope.UnsubscribeURL ?? envelope.UnsubscribeUrl ?? "",
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}
