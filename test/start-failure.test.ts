/**
 * The innermost error of an application start failure, on slogans as the VM writes them: the two
 * RabbitMQ ones are the slogan lines of win26.dump and otp27_rabbit_2026.dump in the corpus (the
 * second quoted as a string, as OTP 26+ does); the others follow application_master's forms
 * ({Error, MFA}, {bad_return, {MFA, Other}}, a crash as {'EXIT', Why}).
 */
import { describe, expect, it } from 'vitest';
import { CUT_BEFORE_INNERMOST, startFailure } from '../src/dump/analyze/start-failure.js';

describe('startFailure', () => {
  it('follows shutdown and failed_to_start_child to the innermost error (RabbitMQ, OTP 26 and 27 forms)', () => {
    const plain = '{application_start_failure,rabbitmq_prelaunch,{{shutdown,{failed_to_start_child,prelaunch,{dist_port_already_used,25672,"galsie-node1","localhost"}}},{rabbit_prelaunch_app,start,[normal,[]]}}}';
    const expected = {
      callback: 'rabbit_prelaunch_app:start/2',
      children: ['prelaunch'],
      innermost: '{dist_port_already_used,25672,"galsie-node1","localhost"}',
      hint: 'distribution port 25672 is held by the Erlang node galsie-node1@localhost: another node, or another instance of this one, uses the same port',
    };
    expect(startFailure(plain)).toEqual(expected);
    const notErlang = '{application_start_failure,rabbitmq_prelaunch,{{shutdown,{failed_to_start_child,prelaunch,{dist_port_already_used,25672,not_erlang,"h1"}}},{rabbit_prelaunch_app,start,[normal,[]]}}}';
    expect(startFailure(notErlang)?.hint).toBe('distribution port 25672 on h1 is held by a program that is not an Erlang node');
    expect(startFailure(JSON.stringify(plain))).toEqual(expected); // "{application_start_failure,...}" with \" inside
  });

  it('nested children, {error, _}, bad_return and a crash in the start callback', () => {
    expect(startFailure('{application_start_failure,web,{{shutdown,{failed_to_start_child,web_sup,{shutdown,{failed_to_start_child,listener,{error,eaddrinuse}}}}},{web_app,start,[normal,[]]}}}'))
      .toEqual({ callback: 'web_app:start/2', children: ['web_sup', 'listener'], innermost: 'eaddrinuse', hint: 'a port it listens on is already in use' });
    expect(startFailure('{application_start_failure,db,{bad_return,{{db_app,start,[normal,[]]},{\'EXIT\',{badarg,[]}}}}}'))
      .toEqual({ callback: 'db_app:start/2', children: [], innermost: '{badarg,[]}' });
    expect(startFailure('{application_start_failure,kernel,{shutdown,{kernel,start,[normal,[]]}}}')).toEqual({ callback: 'kernel:start/2', children: [], innermost: 'shutdown' });
  });

  it('gives nothing for other reasons and for text it cannot read (elided parts); a cut says where it stops', () => {
    expect(startFailure('{application_terminated,sasl,killed}')).toBeUndefined();
    expect(startFailure('{application_start_failure,rabbit,{{shutdown,{failed_to_start_child,rabbit_sup,{bad'))
      .toEqual({ children: ['rabbit_sup'], innermost: CUT_BEFORE_INNERMOST, cut: true });
    expect(startFailure('{application_start_failure,x,{{badmatch,[_]},{x_app,start,[normal,[]]}}}')).toBeUndefined();
  });
});

describe('a reason cut short (slogans before OTP 25 stop at 200 characters)', () => {
  // The slogan of a node whose distribution did not start, as an operator reported it uncut.
  const full = "{application_start_failure,kernel,{{shutdown,{failed_to_start_child,net_sup,{shutdown,{failed_to_start_child,net_kernel,{'EXIT',nodistribution}}}}},{kernel,start,[normal,[]]}}}";

  it('is read as far as it was written: the innermost error, the children, the callback', () => {
    for (const n of [170, 160, 150]) {
      expect(startFailure(full.slice(0, n)), `cut at ${n}`).toMatchObject({ children: ['net_sup', 'net_kernel'], innermost: 'nodistribution', cut: true });
    }
    expect(startFailure(full.slice(0, 160))?.callback).toBe('kernel:start/2');
    expect(startFailure(full.slice(0, 160))?.hint).toMatch(/^distribution did not start: epmd not running/);
  });

  it('a cut before the innermost error says so instead of printing the wrapper', () => {
    expect(startFailure(full.slice(0, 140))).toMatchObject({ innermost: CUT_BEFORE_INNERMOST, children: ['net_sup', 'net_kernel'], cut: true });
    expect(startFailure(full.slice(0, 60))).toMatchObject({ innermost: CUT_BEFORE_INNERMOST, cut: true });
  });
});
