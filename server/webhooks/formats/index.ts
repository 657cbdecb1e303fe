import { formatCloudEvents } from './cloudevents.ts';
import { formatDefault } from './default.ts';
import type { HookEvent, HookPolicy, RenderedPayload } from './hook-event.ts';
import { formatRainbond } from './rainbond.ts';

export type { HookEvent, HookPolicy, RenderedPayload } from './hook-event.ts';

/** A payload format: a pure formatter, and which event types a target in this format receives. */
export interface PayloadFormatter {
  render(hook: HookEvent, policy: HookPolicy): RenderedPayload;
  /**
   * Rainbond deploys on whatever it receives (older consoles do not look at the type), so it gets what should
   * deploy: pushes, and promotions (a promotion to prod is how a Berth pipeline ships).
   */
  accepts(type: string): boolean;
}

const formats = {
  Default: { render: formatDefault, accepts: () => true },
  CloudEvents: { render: formatCloudEvents, accepts: () => true },
  Rainbond: { render: formatRainbond, accepts: (type: string) => type === 'PUSH_ARTIFACT' || type === 'PROMOTE_ARTIFACT' },
} satisfies Record<string, PayloadFormatter>;

export type PayloadFormatName = keyof typeof formats;

/** The payload formats of `http` targets, by the name policies use (Harbor's `payload_format`). */
export const payloadFormats: Readonly<Record<PayloadFormatName, PayloadFormatter>> = formats;

export const payloadFormatNames = Object.keys(payloadFormats) as PayloadFormatName[];

export const isPayloadFormat = (name: string): name is PayloadFormatName => Object.hasOwn(payloadFormats, name);
