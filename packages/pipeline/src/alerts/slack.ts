import type { Alert } from './types.ts';

/** Slack's mrkdwn control characters; everything else passes through. */
function mrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A Slack-compatible incoming-webhook payload (`text` for notifications, `blocks` for the message body). */
export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  const link = alert.runUrl ? `<${alert.runUrl}|${mrkdwn(alert.linkText)}>` : mrkdwn(alert.linkText);
  const pipeline = mrkdwn(alert.pipeline);
  const text =
    alert.type === 'failure'
      ? `:red_circle: Pipeline *${pipeline}* failed${alert.step ? ` at step *${mrkdwn(alert.step)}*` : ''}: ${mrkdwn(truncate(alert.error ?? 'unknown error', 500))} (run ${alert.runId}) ${link}`
      : `:large_green_circle: Pipeline *${pipeline}* recovered: run ${alert.runId} succeeded ${link}`;
  const fields = [
    { type: 'mrkdwn', text: `*Pipeline*\n${pipeline}` },
    { type: 'mrkdwn', text: `*Run*\n${alert.runId}` },
  ];
  if (alert.step) fields.push({ type: 'mrkdwn', text: `*Step*\n${mrkdwn(alert.step)}` });
  fields.push({ type: 'mrkdwn', text: `*Finished*\n${alert.finishedAt.toISOString()}` });
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'section', fields },
  ];
  if (alert.error) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `\`\`\`${mrkdwn(truncate(alert.error, 2500))}\`\`\`` },
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: link }] });
  return { text, blocks };
}
