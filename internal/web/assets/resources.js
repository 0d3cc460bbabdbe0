// Usage and cost, and the other resources of a tenant: queues, topics,
// tables, and any /v1 collection the server offers.

import { call, sqs, sns, dynamodb } from './api.js';
import { el, link, table, fmt, stat, section, periodPicker, PRICES, requestCost, computeCost } from './util.js';

export async function usageView(main, ctx) {
  let period = '24h';
  const body = el('div', { 'aria-live': 'polite' });
  const load = async () => {
    const rows = await call('/v1/usage?since=' + period);
    const tot = rows.reduce((a, r) => ({ n: a.n + r.invocations, e: a.e + r.errors, gbs: a.gbs + r.gb_s, ms: a.ms + r.billed_ms }), { n: 0, e: 0, gbs: 0, ms: 0 });
    const costOf = r => requestCost(r.invocations) + computeCost(r.gb_s);
    body.replaceChildren(
      el('div', { class: 'stats' },
        stat('Invocations', fmt.int(tot.n)), stat('Errors', fmt.int(tot.e), fmt.pct(tot.e, tot.n)),
        stat('Billed time', fmt.ms(tot.ms)), stat('GB-seconds', tot.gbs.toFixed(6)),
        stat('Cost', fmt.usd(requestCost(tot.n) + computeCost(tot.gbs)))),
      section('Per function',
        table('Usage and cost per function', [
          { label: 'Function', cell: r => link('/ui/functions/' + encodeURIComponent(r.function), r.function) },
          { label: 'Invocations', num: true, cell: r => fmt.int(r.invocations) },
          { label: 'Errors', num: true, cell: r => fmt.int(r.errors) },
          { label: 'Cold starts', num: true, cell: r => fmt.int(r.cold_starts) },
          { label: 'Avg duration', num: true, cell: r => fmt.ms(r.invocations ? r.duration_ms / r.invocations : null) },
          { label: 'Billed', num: true, cell: r => fmt.int(r.billed_ms) + ' ms' },
          { label: 'GB-s', num: true, cell: r => r.gb_s.toFixed(6) },
          { label: 'Requests cost', num: true, cell: r => fmt.usd(requestCost(r.invocations)) },
          { label: 'Compute cost', num: true, cell: r => fmt.usd(computeCost(r.gb_s)) },
          { label: 'Total', num: true, cell: r => el('strong', {}, fmt.usd(costOf(r))) },
        ], rows, 'No invocations in this period.'),
        el('p', { class: 'note' }, `${PRICES.label}: $${PRICES.perMillionRequests.toFixed(2)} per 1M requests, $${PRICES.perGBSecond} per GB-second.`)));
  };
  main.append(el('div', { class: 'page-head' }, el('h1', {}, 'Usage and cost'), periodPicker(period, p => { period = p; load(); })), body);
  await load();
  ctx.every(15000, load);
}

const queueName = url => decodeURIComponent(url.split('/').pop());

export async function queuesView(main) {
  main.append(el('h1', {}, 'Queues'));
  const { QueueUrls = [] } = await sqs('ListQueues');
  const rows = await Promise.all(QueueUrls.map(async url => {
    const { Attributes = {} } = await sqs('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] }).catch(() => ({}));
    return { url, a: Attributes };
  }));
  const n = (r, k) => fmt.int(Number(r.a[k] || 0));
  main.append(section('SQS-compatible queues', table('Queues', [
    { label: 'Name', cell: r => queueName(r.url) },
    { label: 'Available', num: true, cell: r => n(r, 'ApproximateNumberOfMessages') },
    { label: 'In flight', num: true, cell: r => n(r, 'ApproximateNumberOfMessagesNotVisible') },
    { label: 'Delayed', num: true, cell: r => n(r, 'ApproximateNumberOfMessagesDelayed') },
    { label: 'Visibility timeout', num: true, cell: r => (r.a.VisibilityTimeout || '–') + ' s' },
    { label: 'Dead-letter queue', cell: r => r.a.RedrivePolicy ? JSON.parse(r.a.RedrivePolicy).deadLetterTargetArn.split(':').pop() : '–' },
  ], rows, 'No queues: `updraft queue create NAME` makes one.')));
}

const texts = (doc, tag) => [...doc.getElementsByTagName(tag)].map(e => e.textContent);

export async function topicsView(main) {
  main.append(el('h1', {}, 'Topics'));
  const arns = texts(await sns('ListTopics'), 'TopicArn');
  const rows = await Promise.all(arns.map(async arn => {
    const doc = await sns('ListSubscriptionsByTopic', { TopicArn: arn }).catch(() => null);
    const protos = doc ? texts(doc, 'Protocol') : [];
    return { arn, protos };
  }));
  main.append(section('SNS-compatible topics', table('Topics', [
    { label: 'Name', cell: r => r.arn.split(':').pop() },
    { label: 'ARN', cell: r => el('code', {}, r.arn) },
    { label: 'Subscriptions', num: true, cell: r => String(r.protos.length) },
    { label: 'Protocols', cell: r => [...new Set(r.protos)].join(', ') || '–' },
  ], rows, 'No topics: `updraft topic create NAME` makes one.')));
}

export async function tablesView(main) {
  main.append(el('h1', {}, 'Tables'));
  const { TableNames = [] } = await dynamodb('ListTables');
  const rows = await Promise.all(TableNames.map(async name => {
    const { Table = {} } = await dynamodb('DescribeTable', { TableName: name }).catch(() => ({}));
    return { name, t: Table };
  }));
  main.append(section('DynamoDB-compatible tables', table('Tables', [
    { label: 'Name', cell: r => r.name },
    { label: 'Status', cell: r => r.t.TableStatus || '–' },
    { label: 'Items', num: true, cell: r => fmt.int(r.t.ItemCount) },
    { label: 'Size', num: true, cell: r => fmt.bytes(r.t.TableSizeBytes || 0) },
    { label: 'Stream', cell: r => (r.t.StreamSpecification || {}).StreamEnabled ? r.t.StreamSpecification.StreamViewType : 'off' },
  ], rows, 'No tables.')));
}

// listView shows any /v1 collection: the first array in its reply, one
// column per scalar field (up to eight).
export function listView(title, path) {
  return async main => {
    main.append(el('h1', {}, title));
    const reply = await call(path);
    const items = Array.isArray(reply) ? reply : Object.values(reply || {}).find(Array.isArray) || [];
    const keys = [];
    for (const it of items.slice(0, 20)) {
      for (const [k, v] of Object.entries(it || {})) {
        if (v !== null && typeof v !== 'object' && !keys.includes(k) && keys.length < 8) keys.push(k);
      }
    }
    main.append(section(title, table(title, keys.map(k => ({ label: k, cell: it => it[k] == null ? '–' : String(it[k]) })), items, 'None yet.')));
  };
}
