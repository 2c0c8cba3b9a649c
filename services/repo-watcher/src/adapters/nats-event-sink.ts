/** EventSink over JetStream through libs/nats: dedup id = event id, trace context in headers. */
import type { DriftlessEvent } from '@driftless/contracts';
import { publishEvent } from '@driftless/nats';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { EventSink } from '../ports.js';

export class NatsEventSink implements EventSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix: string,
  ) {}

  async publish(event: DriftlessEvent): Promise<void> {
    await publishEvent(this.js, event, { subjectPrefix: this.subjectPrefix });
  }
}
