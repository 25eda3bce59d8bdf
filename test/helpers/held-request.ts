// A POST the server has in hand but cannot finish until the test lets it: proof that a request is in
// flight, without a sleep. It is sent with "Expect: 100-continue": Node's server answers "100 Continue"
// as it hands the parsed request to its handler, and the body waits for finish().
import { request } from 'node:http';

export interface HeldAnswer<TBody> {
  status: number;
  body: TBody;
}

export interface HeldRequest<TBody> {
  /** Resolves once the server has the request (its 100 Continue arrived). */
  received: Promise<void>;
  /** Sends the body; resolves with the answer. */
  finish(): Promise<HeldAnswer<TBody>>;
}

/** POST `payload` as JSON to `url` on a connection of its own (so a cluster may hand it to any worker), holding back the body. */
export function holdPost<TBody = unknown>(url: string, payload: unknown): HeldRequest<TBody> {
  const body = JSON.stringify(payload);
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const answer = new Promise<HeldAnswer<TBody>>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as TBody }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const received = new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    answer.then(
      (early) => reject(new Error(`answered ${early.status} before the body was sent: ${JSON.stringify(early.body)}`)),
      reject,
    );
  });
  // Whoever awaits only one of the two still sees a failure through it; the other is not left unhandled.
  answer.catch(() => undefined);
  received.catch(() => undefined);
  req.flushHeaders();
  return {
    received,
    finish() {
      req.end(body);
      return answer;
    },
  };
}
