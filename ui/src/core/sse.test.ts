import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('parses events split across chunks, skipping comments and retry-only blocks', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(': connected\nretry: 3000\n\nid: 7\nevent: transi'), []);
    assert.deepEqual(parser.push('tion\ndata: {"seq":7}\n\n: heartbeat\n\n'), [{ event: 'transition', data: '{"seq":7}', id: '7' }]);
  });

  it('joins multi-line data, accepts CRLF and defaults the event name', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: a\r\ndata: b\r\n\r\n'), [{ event: 'message', data: 'a\nb', id: undefined }]);
  });
});
