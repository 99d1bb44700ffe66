#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 1048576 -noshell
%%
%% Benchmark crash-dump generator for beamscope (bench/run.ts drives it).
%%
%% Usage: escript bench/gen/gen_dump.escript Messages Procs PayloadBytes Slogan
%%
%% Builds a node that looks like a real overload: one registered process
%% (`bench_sink`, a gen_server-like loop blocked waiting for a reply that
%% never comes) with `Messages` queued messages, plus `Procs` other
%% processes in a few groups (different initial calls, a handful with small
%% queues so a "relative to the node's typical queue" rule has a baseline),
%% a few ETS tables, and then calls erlang:halt(Slogan), which writes the
%% crash dump to $ERL_CRASH_DUMP. Set ERL_CRASH_DUMP_SECONDS=-1 so the
%% writer is not cut short.
%%
%% Each queued message is {request, {Sender, Seq}, From, {Bin1, ...}}: the
%% payload is split into heap binaries of at most 64 bytes, each written
%% inline (base64) on its own =proc_heap line.
-mode(compile).

main([MsgsS, ProcsS, PayloadS, Slogan]) ->
    Msgs = list_to_integer(MsgsS),
    Procs = list_to_integer(ProcsS),
    Payload = list_to_integer(PayloadS),
    T0 = erlang:monotonic_time(millisecond),
    %% ETS tables with a little data, owned by a named owner process.
    EtsOwner = spawn(fun() -> ets_owner() end),
    register(bench_ets_owner, EtsOwner),
    %% The other processes, in groups.
    spawn_groups(Procs),
    log("~b processes spawned (~b ms)", [Procs, erlang:monotonic_time(millisecond) - T0]),
    %% The big mailbox. The sink waits for a reply on a fresh reference
    %% (the receive-ref optimisation means new messages are not rescanned),
    %% like a gen_server stuck in a call.
    Sink = spawn(fun sink/0),
    register(bench_sink, Sink),
    log("sink ~s", [pid_to_list(Sink)]),
    fill(Sink, Msgs, Payload),
    wait_queue(Sink, Msgs),
    log("~b messages queued (~b ms), VM memory ~b MB",
        [Msgs, erlang:monotonic_time(millisecond) - T0,
         erlang:memory(total) div (1024 * 1024)]),
    erlang:halt(Slogan).

log(Fmt, Args) -> io:format(standard_error, "gen_dump: " ++ Fmt ++ "~n", Args).

sink() ->
    process_flag(message_queue_data, off_heap),
    Ref = make_ref(),
    receive {Ref, Reply} -> Reply end.

%% Several senders so the queue fills faster on 2+ cores.
fill(Sink, Msgs, Payload) ->
    Senders = max(1, erlang:system_info(schedulers_online)),
    Per = Msgs div Senders,
    Extra = Msgs - Per * Senders,
    Refs = [begin
                N = Per + (case I of 1 -> Extra; _ -> 0 end),
                {_, Ref} = spawn_monitor(fun() -> send_loop(Sink, I, N, Payload) end),
                Ref
            end || I <- lists:seq(1, Senders)],
    [receive {'DOWN', R, process, _, normal} -> ok end || R <- Refs],
    ok.

send_loop(_Sink, _I, 0, _Payload) -> ok;
send_loop(Sink, I, N, Payload) ->
    Bin = payload(N, Payload),
    Sink ! {request, {I, N}, self(), Bin},
    send_loop(Sink, I, N - 1, Payload).

%% Different bytes per message (so nothing is shared), cheap to build:
%% a tuple of heap binaries of at most 64 bytes each (a binary above 64
%% bytes would be a refc binary with its own =binary section).
payload(N, Size) ->
    Base = <<N:64, (N * 7919):64, (N bxor 16#5bd1e995):64, (N * 31):64,
             N:64, (N + 1):64, (N + 2):64, (N + 3):64>>,        % 64 bytes
    list_to_tuple(chunks(Base, Size, 0)).

chunks(_Base, 0, _K) -> [];
chunks(Base, Size, K) when Size =< 64 -> [chunk(Base, Size, K)];
chunks(Base, Size, K) -> [chunk(Base, 64, K) | chunks(Base, Size - 64, K + 1)].

chunk(<<_:8, Rest/binary>>, Size, K) -> binary:part(<<K:8, Rest/binary>>, 0, Size).

wait_queue(Pid, Want) ->
    case erlang:process_info(Pid, message_queue_len) of
        {message_queue_len, L} when L >= Want -> ok;
        {message_queue_len, _} -> timer:sleep(100), wait_queue(Pid, Want)
    end.

%% 60% idle workers, 25% connection handlers, 10% gen_server-like loops
%% with state, 5% with a few queued messages (0..8).
spawn_groups(Procs) ->
    A = Procs * 60 div 100,
    B = Procs * 25 div 100,
    C = Procs * 10 div 100,
    D = Procs - A - B - C,
    spawn_n(A, fun idle_worker/0),
    spawn_n(B, fun conn_handler/0),
    spawn_n(C, fun stateful_loop/0),
    lists:foreach(fun(I) ->
                          P = spawn(fun idle_worker/0),
                          [P ! {ping, J} || J <- lists:seq(1, I rem 9)]
                  end, lists:seq(1, D)),
    ok.

spawn_n(0, _F) -> ok;
spawn_n(N, F) -> spawn(F), spawn_n(N - 1, F).

idle_worker() -> receive stop -> ok end.

conn_handler() ->
    put(peer, {{10, 0, rand:uniform(255), rand:uniform(255)}, 40000 + rand:uniform(20000)}),
    receive {tcp_closed, _} -> ok end.

stateful_loop() ->
    State = #{started => erlang:monotonic_time(), buf => lists:seq(1, 20),
              name => <<"session">>},
    loop(State).

loop(State) -> receive {set, K, V} -> loop(State#{K => V}); stop -> ok end.

ets_owner() ->
    [begin
         T = ets:new(list_to_atom("bench_tab_" ++ integer_to_list(I)), [set, public, named_table]),
         ets:insert(T, [{K, <<K:32>>} || K <- lists:seq(1, 1000 * I)])
     end || I <- lists:seq(1, 5)],
    receive stop -> ok end.
