import { describe, expect, it } from 'vitest';
import { changeSignalsChannel } from './change-signals.js';
import { socketToken } from './websocket.js';

describe('connection_init authorization', () => {
  it('takes "Bearer <token>" or the bare token', () => {
    expect(socketToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(socketToken({ Authorization: 'bearer abc' })).toBe('abc');
    expect(socketToken({ authorization: 'abc' })).toBe('abc');
  });
  it('has none when absent, empty or not a string', () => {
    expect(socketToken(undefined)).toBeUndefined();
    expect(socketToken({ authorization: '  ' })).toBeUndefined();
    expect(socketToken({ authorization: 42 })).toBeUndefined();
  });
});

describe('the order-change signal channel', () => {
  it('lives under the deployment’s key prefix', () => {
    expect(changeSignalsChannel('orders:')).toBe('orders:order-changes');
  });
});
