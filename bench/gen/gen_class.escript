#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4194304 -noshell
%%
%% Crash-dump generator for the dump classes of issue 14 (bench/run.ts drives it with
%% `--classes`; fixtures/scripts/make-refc-mailbox.sh and make-many.sh run it small).
%%
%% Usage: escript bench/gen/gen_class.escript CLASS [Key=Value ...]
%%
%%   a  refc-binary mailbox: the registered `log_writer` (a disk writer stuck in a call) holds
%%      msgs=3000000 queued {log_line, I, Bin}, each Bin a distinct refc binary of bin=80 bytes
%%      made by the registered producer `log_shipper`. The shipper keeps the lines it sent in a
%%      retransmit buffer, rotated every window=400000 lines: the current buffer is live, the
%%      previous one was dropped and never collected (the shipper went idle), so its bytes are
%%      still on the shipper's binary virtual heap: stale references `beamscope leak` names.
%%      Before it got stuck, log_writer wrote consumed=0 lines (so the shipper may have sent
%%      more than are queued). Also `bin_holder` with holder=5000 binaries of holder_bin=1024
%%      bytes, an ETS table `log_index` with ets_objects=20000 objects, and procs=100000 other
%%      processes. (The --huge dump, class e, is this class with bigger binaries.)
%%   b  many processes: procs=1000000 other processes (the gen_dump.escript mix) and the
%%      registered `bench_sink` with msgs=100000 queued requests.
%%   c  many small processes: tiny=3000000 hibernated processes (a fun with one integer each),
%%      procs=1000 others, `bench_sink` with msgs=100000.
%%   d  many tables and modules: tables=50000 ETS tables over owners=500 owner processes,
%%      modules=3000 modules made with compile:forms and loaded, funs=8 funs each (one =fun
%%      section per fun), procs=20000 others, `bench_sink` with msgs=50000.
%%   f  one huge process: the registered `big_state` holds, in two variables of its one stack
%%      frame, a list of items=12000000 tuples {I, integer_to_binary(I), 2 * I} and a map of
%%      keys=3000000 entries I => {value, I} (a cache grown without bound, most of the node's
%%      memory in one heap and no mailbox), next to procs=20000 others. Its sink is `big_state`.
%%   h  runaway recursion: the registered `tree_walker` (a proc_lib process in a receive loop)
%%      got a request to walk a structure and recursed depth=5000000 levels deep in a
%%      body-recursive walk/2 (each frame keeps a {node, Depth, Path} tuple and the depth live
%%      across the call), then waits at the bottom as if on I/O: its stack is most of the
%%      node's memory, next to procs=20000 others. Its sink is `tree_walker`.
%%
%% The parts mix: tables=, modules=, tiny= and procs= work in every class (fixtures/many.dump is
%% class d with tiny processes too).
%%
%% Every class ends with erlang:halt(Slogan) (slogan=..., default "beamscope bench class X"),
%% which writes the crash dump to $ERL_CRASH_DUMP; set ERL_CRASH_DUMP_SECONDS=-1 so the writer
%% is not cut short. Progress goes to stderr as "gen_class: ..." lines; the harness reads
%% "gen_class: sink <pid> ..." (the process with the largest mailbox) and "gen_class: vm ...".
-module(beamscope_bench_gen).
-mode(compile).

main([Class | KVs]) when Class =:= "a"; Class =:= "b"; Class =:= "c"; Class =:= "d"; Class =:= "f"; Class =:= "h" ->
    O = maps:merge(defaults(Class), parse(KVs)),
    put(t0, erlang:monotonic_time(millisecond)),
    log("class ~s: ~p", [Class, O]),
    Sink = build(Class, O),
    {message_queue_len, Q} = erlang:process_info(Sink, message_queue_len),
    log("sink ~s ~b messages", [pid_to_list(Sink), Q]),
    log("vm ~b MB total, ~b MB processes, ~b MB binary, ~b MB ets; ~b processes, ~b ETS tables, "
        "~b modules; VmHWM ~s",
        [erlang:memory(total) div 1048576, erlang:memory(processes) div 1048576,
         erlang:memory(binary) div 1048576, erlang:memory(ets) div 1048576,
         erlang:system_info(process_count), length(ets:all()), length(code:all_loaded()),
         vm_hwm()]),
    log("writing the dump (~b ms so far)", [elapsed()]),
    erlang:halt(maps:get(slogan, O));
main(_) ->
    io:put_chars(standard_error,
                 "usage: escript gen_class.escript a|b|c|d|f|h [key=value ...] (see the header)\n"),
    halt(2).

defaults(C) ->
    Base = #{slogan => "beamscope bench class " ++ C},
    maps:merge(Base, maps:get(C, #{
        "a" => #{msgs => 3000000, bin => 80, window => 400000, holder => 5000,
                 holder_bin => 1024, ets_objects => 20000, procs => 100000},
        "b" => #{procs => 1000000, msgs => 100000},
        "c" => #{tiny => 3000000, procs => 1000, msgs => 100000},
        "d" => #{tables => 50000, owners => 500, modules => 3000, funs => 8, procs => 20000,
                 msgs => 50000},
        "f" => #{items => 12000000, keys => 3000000, procs => 20000},
        "h" => #{depth => 5000000, procs => 20000}})).

parse(KVs) ->
    maps:from_list([begin
                        [K, V] = string:split(KV, "="),
                        {list_to_atom(K), try list_to_integer(V) catch error:badarg -> V end}
                    end || KV <- KVs]).

log(Fmt, Args) -> io:format(standard_error, "gen_class: " ++ Fmt ++ "~n", Args).

elapsed() -> erlang:monotonic_time(millisecond) - get(t0).

vm_hwm() ->
    case file:read_file("/proc/self/status") of
        {ok, S} ->
            case re:run(S, "VmHWM:\\s+(\\d+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> integer_to_list(list_to_integer(Kb) div 1024) ++ " MB";
                _ -> "?"
            end;
        _ -> "?"
    end.

%% ---- the classes ----------------------------------------------------------------------------

%% The parts every class may have (a key=value of any class adds that part: e.g. tiny=3000 in
%% class d), then the big mailbox: class a's refc-binary one, or the plain requests of b, c, d.
build(Class, O) ->
    tables(opt(tables, O), opt(owners, O, 1)),
    modules(opt(modules, O), opt(funs, O, 8)),
    tiny(opt(tiny, O)),
    others(opt(procs, O)),
    case Class of
        "a" -> refc_mailbox(O);
        "f" -> huge_state(opt(items, O), opt(keys, O));
        "h" -> runaway(opt(depth, O));
        _ -> requests_sink(opt(msgs, O))
    end.

opt(K, O) -> opt(K, O, 0).
opt(K, O, Default) -> maps:get(K, O, Default).

spawn_registered(Name, F) ->
    P = spawn(F),
    register(Name, P),
    P.

%% The process with the big mailbox (spawned with an off-heap message queue): blocked in a
%% receive on a fresh reference (the receive-ref optimisation means new messages are not
%% rescanned), like a gen_server stuck in a call.
spawn_sink(Name, F) ->
    P = spawn_opt(F, [{message_queue_data, off_heap}]),
    register(Name, P),
    P.

stuck() ->
    Ref = make_ref(),
    receive {Ref, Reply} -> Reply end.

wait_queue(Pid, Want) ->
    case erlang:process_info(Pid, message_queue_len) of
        {message_queue_len, L} when L >= Want -> ok;
        {message_queue_len, _} -> timer:sleep(50), wait_queue(Pid, Want)
    end.

%% ---- class a: the refc-binary mailbox ------------------------------------------------------

%% log_writer gets consumed=0 lines and writes them out, then gets stuck in a call with msgs
%% lines still queued; log_shipper made and sent all of them (see shipper/5).
refc_mailbox(O = #{msgs := Msgs}) ->
    Consumed = opt(consumed, O),
    spawn_registered(log_index_owner, fun() -> log_index(opt(ets_objects, O)) end),
    spawn_registered(bin_holder, fun() -> bin_holder(opt(holder, O), opt(holder_bin, O, 1024)) end),
    Self = self(),
    Sink = spawn_sink(log_writer, fun() -> log_writer(Self, Consumed) end),
    Shipper = spawn_registered(log_shipper, fun() ->
        shipper(Self, Sink, Msgs + Consumed, opt(bin, O, 80), opt(window, O, Msgs + Consumed + 1))
    end),
    receive {shipped, Shipper, Live} -> ok end,
    receive {stuck, Sink} -> ok end,
    wait_queue(Sink, Msgs),
    {garbage_collection_info, GC} = erlang:process_info(Shipper, garbage_collection_info),
    log("~b lines shipped, ~b written, ~b queued (~b ms); log_shipper keeps ~b lines, its binary "
        "vheap ~b + old ~b words",
        [Msgs + Consumed, Consumed, Msgs, elapsed(), Live, proplists:get_value(bin_vheap_size, GC),
         proplists:get_value(bin_old_vheap_size, GC)]),
    Sink.

%% Writes N lines (drops them), collects its garbage, and gets stuck.
log_writer(Parent, N) ->
    write_lines(N),
    erlang:garbage_collect(),
    Parent ! {stuck, self()},
    stuck().

write_lines(0) -> ok;
write_lines(N) -> receive {log_line, _, _} -> write_lines(N - 1) end.

%% Ships Msgs lines to Sink, each a distinct refc binary of Size bytes, and keeps what it sent in
%% a retransmit buffer of up to Window lines; a full buffer becomes the previous one (kept until
%% the next rotation, then dropped). At the end the previous buffer is dropped and the shipper
%% waits for acks that never come: no allocation, so no garbage collection, and the dropped
%% buffer's binaries stay accounted to it (BinVHeap/OldBinVHeap) though its heap no longer
%% reaches them.
shipper(Parent, Sink, Msgs, Size, Window) ->
    Pad = binary:copy(<<"x">>, Size),
    Unacked = ship(Sink, 1, Msgs, {Size, Pad}, Window, [], 0, []),
    Parent ! {shipped, self(), length(Unacked)},
    await_acks(Unacked).

ship(_Sink, I, Msgs, _Size, _W, Buf, _N, _Prev) when I > Msgs ->
    Buf;
ship(Sink, I, Msgs, Size, W, Buf, N, Prev) ->
    Line = line(I, Size),
    Sink ! {log_line, I, Line},
    case N + 1 of
        W -> ship(Sink, I + 1, Msgs, Size, W, [], 0, [Line | Buf]);
        N1 -> ship(Sink, I + 1, Msgs, Size, W, [Line | Buf], N1, Prev)
    end.

await_acks(Unacked) ->
    receive {ack, _} -> await_acks(Unacked) end.

%% A log line of exactly Size bytes (> 64: a refc binary), different for every I; the padding
%% is a slice of Pad, so making a line leaves no garbage binary behind.
line(I, {Size, Pad}) ->
    Head = <<"2026-11-28T16:16:", (zpad(I rem 60, 2))/binary, ".", (zpad(I rem 1000000, 6))/binary,
             "Z info [shipper] seq=", (zpad(I, 10))/binary, " ">>,
    case Size - byte_size(Head) of
        N when N >= 0 -> <<Head/binary, (binary:part(Pad, 0, N))/binary>>;
        _ -> binary:copy(binary:part(Head, 0, Size))
    end.

zpad(N, Width) ->
    B = integer_to_binary(N),
    <<(binary:copy(<<"0">>, max(0, Width - byte_size(B))))/binary, B/binary>>.

bin_holder(N, Size) ->
    Bins = [binary:copy(<<I:32>>, Size div 4) || I <- lists:seq(1, N)],
    receive {drop, _} -> length(Bins) end.

log_index(Objects) ->
    T = ets:new(log_index, [set, public, named_table]),
    ets:insert(T, [{I, <<I:32>>, {segment, I div 1000}} || I <- lists:seq(1, Objects)]),
    receive stop -> ok end.

%% ---- class f: one huge process ------------------------------------------------------------

%% big_state builds its list and its map, reports, and waits with both live in its stack frame.
huge_state(Items, Keys) ->
    Self = self(),
    P = spawn_registered(big_state, fun() ->
        List = [{I, integer_to_binary(I), 2 * I} || I <- lists:seq(1, Items)],
        Map = maps:from_list([{I, {value, I}} || I <- lists:seq(1, Keys)]),
        Self ! {built, self()},
        receive stop -> {List, Map} end
    end),
    receive {built, P} -> ok end,
    {memory, M} = erlang:process_info(P, memory),
    log("big_state holds ~b items and ~b keys in ~b MB (~b ms)", [Items, Keys, M div 1048576, elapsed()]),
    P.

%% ---- class h: runaway recursion ------------------------------------------------------------

runaway(Depth) ->
    Self = self(),
    P = proc_lib:spawn(fun() -> walker_loop(Self) end),
    register(tree_walker, P),
    P ! {walk, Depth},
    receive {deep, P} -> ok end,
    {memory, M} = erlang:process_info(P, memory),
    {stack_size, S} = erlang:process_info(P, stack_size),
    log("tree_walker is ~b frames deep: stack ~b words, ~b MB in all (~b ms)", [Depth, S, M div 1048576, elapsed()]),
    P.

walker_loop(Parent) ->
    receive
        {walk, Depth} -> walker_loop_result(walk(Depth, {Parent, []}), Parent)
    end.

walker_loop_result(_Sum, Parent) -> walker_loop(Parent).

%% Body-recursive: Node and Depth stay live across the call, so each level is a stack frame.
walk(0, {Parent, _}) ->
    Parent ! {deep, self()},
    receive stop -> 0 end;
walk(Depth, Ctx) ->
    Node = {node, Depth, [Depth rem 7]},
    Sum = walk(Depth - 1, Ctx),
    Sum + element(2, Node) + Depth.

%% ---- classes b, c, d: the sink with requests -----------------------------------------------

requests_sink(Msgs) ->
    Sink = spawn_sink(bench_sink, fun stuck/0),
    Senders = max(1, erlang:system_info(schedulers_online)),
    Refs = [begin
                {_, Ref} = spawn_monitor(fun() -> send_requests(Sink, S, Msgs div Senders + extra(S, Msgs, Senders)) end),
                Ref
            end || S <- lists:seq(1, Senders)],
    [receive {'DOWN', R, process, _, normal} -> ok end || R <- Refs],
    wait_queue(Sink, Msgs),
    log("~b requests queued (~b ms)", [Msgs, elapsed()]),
    Sink.

extra(1, Msgs, Senders) -> Msgs rem Senders;
extra(_, _, _) -> 0.

send_requests(_Sink, _S, 0) -> ok;
send_requests(Sink, S, N) ->
    Sink ! {request, {S, N}, self(), <<N:64, (N * 7919):64>>},
    send_requests(Sink, S, N - 1).

%% ---- the other processes (as in gen_dump.escript) ------------------------------------------

%% 60% idle workers, 25% connection handlers, 10% gen_server-like loops with state, 5% with a
%% few queued messages (0..8).
others(0) -> ok;
others(Procs) ->
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
    log("~b other processes spawned (~b ms)", [Procs, elapsed()]).

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

%% ---- class c: many small processes ---------------------------------------------------------

%% Each one hibernates at once (its heap shrinks to what it holds: a fun with its number), so
%% the VM needs ~1 KB a process. Spawned from a few spawners so both cores work.
tiny(0) -> ok;
tiny(N) ->
    Spawners = max(1, erlang:system_info(schedulers_online)),
    Refs = [begin
                {_, R} = spawn_monitor(fun() -> tiny_n(S, N div Spawners + extra(S, N, Spawners)) end),
                R
            end || S <- lists:seq(1, Spawners)],
    [receive {'DOWN', R, process, _, normal} -> ok end || R <- Refs],
    log("~b tiny processes spawned (~b ms), ~b MB in processes",
        [N, elapsed(), erlang:memory(processes) div 1048576]).

tiny_n(_S, 0) -> ok;
tiny_n(S, N) ->
    Id = S * 100000000 + N,
    spawn(fun() -> erlang:hibernate(erlang, apply, [fun() -> tiny_wake(Id) end, []]) end),
    tiny_n(S, N - 1).

tiny_wake(Id) -> Id.

%% ---- class d: many ETS tables and modules ------------------------------------------------

%% Tables spread over Owners processes; every 10th named; set / ordered_set / bag / duplicate_bag
%% in turn; 0..19 small objects each.
tables(0, _Owners) -> ok;
tables(N, Owners) ->
    Self = self(),
    Owned = [spawn(fun() -> table_owner(Self, O, N div Owners + extra(O, N, Owners)) end)
             || O <- lists:seq(1, Owners)],
    [receive {tables_made, P} -> ok end || P <- Owned],
    log("~b ETS tables made over ~b owners (~b ms)", [N, Owners, elapsed()]).

table_owner(Parent, O, Count) ->
    register(list_to_atom("tab_owner_" ++ integer_to_list(O)), self()),
    Types = {set, ordered_set, bag, duplicate_bag},
    [begin
         K = O * 1000000 + I,
         Type = element(K rem 4 + 1, Types),
         T = case K rem 10 of
                 0 -> ets:new(list_to_atom("bench_tab_" ++ integer_to_list(K)), [Type, public, named_table]);
                 _ -> ets:new(bench_tab, [Type, public])
             end,
         ets:insert(T, [{J, K, <<"v">>} || J <- lists:seq(1, K rem 20)])
     end || I <- lists:seq(1, Count)],
    Parent ! {tables_made, self()},
    receive stop -> ok end.

%% N modules bench_mod_1 .. bench_mod_N, each exporting funs/0 that returns F funs (so each
%% module has F fun entries, each one =fun section in the dump), compiled with compile:forms and
%% loaded with code:load_binary.
modules(0, _F) -> ok;
modules(N, F) ->
    lists:foreach(fun(I) -> make_module(I, F) end, lists:seq(1, N)),
    log("~b modules with ~b funs each compiled and loaded (~b ms)", [N, F, elapsed()]).

make_module(I, F) ->
    Mod = "bench_mod_" ++ integer_to_list(I),
    Funs = lists:join(", ", [io_lib:format("fun(X) -> {~b, ~b, X} end", [I, K])
                             || K <- lists:seq(1, F)]),
    Src = ["-module(" ++ Mod ++ ").",
           "-export([funs/0, id/0]).",
           "id() -> " ++ integer_to_list(I) ++ ".",
           lists:flatten(["funs() -> [", Funs, "]."])],
    Forms = [begin
                 {ok, Toks, _} = erl_scan:string(S),
                 {ok, Form} = erl_parse:parse_form(Toks),
                 Form
             end || S <- Src],
    {ok, M, Bin} = compile:forms(Forms, [binary, return_errors]),
    {module, M} = code:load_binary(M, Mod ++ ".erl", Bin),
    ok.
