%% Shapes of real users' dumps that the bench's classes do not make, each written by a real VM
%% (erlang:halt/1 after building the state). Tried by hand on 7 December 2026 (see bench/README.md,
%% "Other shapes"); run by make.sh. Each function is one dump.
-module(shapes).
-export([init/1, handle_call/3, handle_cast/2]).
-export([big_binary/0, supervisor/0, big_literal/0, dict_ports/0, big_map/0, gb_tree/0, big_tuple/0, off_heap_queue/0, call_storm/0,
         timer_leak/0, binary_cache/0, ets_heavy/0, port_backlog/0, slow_clients/0, table_per_process/0]).

%% One process holding a 300 MiB binary (a file read whole), and 900,000 atoms.
big_binary() ->
    Big = binary:copy(<<"0123456789abcdef">>, 300 * 1024 * 1024 div 16),
    register(big_holder, spawn(fun() -> receive stop -> ok end, Big end)),
    _ = [list_to_atom("atom_" ++ integer_to_list(I)) || I <- lists:seq(1, 900000)],
    erlang:halt("shape: big binary and many atoms").

%% A supervisor linked to 300,000 children, monitoring 200,000 of them, with 100,000 dictionary
%% entries and 200,000 timers pending to it. Needs +P 1000000.
supervisor() ->
    Self = self(),
    Sup = spawn(fun() ->
        process_flag(trap_exit, true),
        Ps = [spawn_link(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, 300000)],
        _ = [erlang:monitor(process, P) || P <- lists:sublist(Ps, 200000)],
        _ = [put({child, I}, P) || {I, P} <- lists:zip(lists:seq(1, 100000), lists:sublist(Ps, 100000))],
        Self ! ready,
        receive stop -> ok end
    end),
    register(big_sup, Sup),
    receive ready -> ok end,
    _ = [erlang:send_after(3600000, Sup, {tick, I}) || I <- lists:seq(1, 200000)],
    erlang:halt("shape: supervisor with many children").

%% A module with a literal of 600,000 tuples (compiled from forms: a few minutes), used by 200 processes.
big_literal() ->
    Big = [{I, integer_to_binary(I), <<"tz_", (integer_to_binary(I))/binary>>} || I <- lists:seq(1, 600000)],
    Forms = [{attribute, 1, module, biglit}, {attribute, 1, export, [{table, 0}]},
             {function, 1, table, 0, [{clause, 1, [], [], [erl_parse:abstract(Big)]}]}],
    {ok, biglit, Bin} = compile:forms(Forms, []),
    {module, biglit} = code:load_binary(biglit, "biglit.erl", Bin),
    Ps = [spawn(fun() -> T = biglit:table(), receive stop -> T end end) || _ <- lists:seq(1, 200)],
    register(lit_user, hd(Ps)),
    timer:sleep(500),
    erlang:halt("shape: big literal area").

%% A process dictionary of 1,000,000 entries, and a process owning 15,000 UDP sockets (ulimit -n 20000).
dict_ports() ->
    Self = self(),
    spawn(fun() ->
        register(dict_hog, self()),
        _ = [put({session, I}, {I, <<"user">>, erlang:system_time()}) || I <- lists:seq(1, 1000000)],
        Self ! ok,
        receive stop -> ok end
    end),
    receive ok -> ok end,
    spawn(fun() ->
        register(udp_owner, self()),
        Ss = [begin {ok, S} = gen_udp:open(0), S end || _ <- lists:seq(1, 15000)],
        Self ! ok,
        receive stop -> Ss end
    end),
    receive ok -> ok end,
    erlang:halt("shape: dictionary and ports").

%% A process whose state is a map of 1,500,000 keys (a HAMT: its elements written out of order).
big_map() ->
    Self = self(),
    spawn(fun() ->
        register(map_owner, self()),
        M = maps:from_list([{{user, I}, #{name => integer_to_binary(I), n => I}} || I <- lists:seq(1, 1500000)]),
        Self ! ok,
        receive stop -> M end
    end),
    receive ok -> ok end,
    erlang:halt("shape: big map state").

%% A process whose state is a gb_tree of 1,000,000 entries.
gb_tree() ->
    Self = self(),
    spawn(fun() ->
        register(tree_owner, self()),
        T = lists:foldl(fun(I, Acc) -> gb_trees:insert(I, {session, integer_to_binary(I)}, Acc) end,
                        gb_trees:empty(), lists:seq(1, 1000000)),
        Self ! ok,
        receive stop -> T end
    end),
    receive ok -> ok end,
    erlang:halt("shape: big gb_tree state").

%% A process whose state is a tuple of 2,000,000 pairs (written backwards: its last element first).
big_tuple() ->
    Self = self(),
    spawn(fun() ->
        register(tuple_owner, self()),
        T = list_to_tuple([{I, integer_to_binary(I)} || I <- lists:seq(1, 2000000)]),
        Self ! ok,
        receive stop -> T end
    end),
    receive ok -> ok end,
    erlang:halt("shape: big tuple state").

%% RabbitMQ's shape: a queue process with message_queue_data off_heap (as RabbitMQ sets for its
%% queues), 1,000,000 deliveries of a 100-byte refc binary queued while it waits in a receive.
off_heap_queue() ->
    Q = spawn_opt(fun() -> register(classic_queue, self()), receive never -> ok end end,
                  [{message_queue_data, off_heap}]),
    timer:sleep(100),
    Payload = fun(I) -> <<I:64, (binary:copy(<<"x">>, 92))/binary>> end,
    _ = [Q ! {deliver, I, Payload(I)} || I <- lists:seq(1, 1000000)],
    timer:sleep(500),
    erlang:halt("shape: off-heap queue").

%% A gen_server bottleneck: the server is stuck in a long handle_call while 300,000 callers wait
%% in gen_server:call/3, their requests queued to it. Needs +P 1000000.
call_storm() ->
    {ok, _} = gen_server:start({local, slow_server}, ?MODULE, [], []),
    spawn(fun() -> gen_server:call(slow_server, stall, infinity) end),
    timer:sleep(100),
    _ = [spawn(fun() -> gen_server:call(slow_server, {lookup, I}, infinity) end) || I <- lists:seq(1, 300000)],
    timer:sleep(2000),
    erlang:halt("shape: gen_server call storm").

%% A timer leak: a process re-arms a periodic erlang:send_after on every message and never cancels
%% the old one, and 2,000,000 are pending to it when the node dies.
timer_leak() ->
    Self = self(),
    spawn(fun() ->
        register(ticker, self()),
        _ = [erlang:send_after(3600000 + I, self(), {refresh, I}) || I <- lists:seq(1, 2000000)],
        Self ! ok,
        receive stop -> ok end
    end),
    receive ok -> ok end,
    erlang:halt("shape: timer leak").

%% A cache in a gen_server-like process: a map of 1,000,000 keys, each value a distinct 200-byte
%% refc binary (what a session or blob cache holds), so the dump has 1,000,000 =binary sections
%% that one process's state references.
binary_cache() ->
    Self = self(),
    spawn(fun() ->
        register(blob_cache, self()),
        M = maps:from_list([{I, <<I:64, (binary:copy(<<"b">>, 192))/binary>>} || I <- lists:seq(1, 1000000)]),
        Self ! ok,
        receive stop -> M end
    end),
    receive ok -> ok end,
    erlang:halt("shape: binary cache").

%% ETS as users grow it: one set of 3,000,000 objects, a bag, and 2,000 small tables of one owner.
ets_heavy() ->
    Self = self(),
    spawn(fun() ->
        register(ets_owner, self()),
        T = ets:new(sessions, [set, public, named_table]),
        true = ets:insert(T, [{I, integer_to_binary(I), I * 2} || I <- lists:seq(1, 3000000)]),
        B = ets:new(events, [bag, public]),
        true = ets:insert(B, [{I rem 1000, I} || I <- lists:seq(1, 500000)]),
        _ = [ets:new(small, [set]) || _ <- lists:seq(1, 2000)],
        Self ! ok,
        receive stop -> ok end
    end),
    receive ok -> ok end,
    erlang:halt("shape: heavy ETS").

%% A slow consumer: a TCP peer that never reads, and a process that keeps sending it 64 KiB events
%% (a high watermark of 1 GiB, so it is never made to wait): 3,000 distinct binaries in the port's
%% output queue.
port_backlog() ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {recbuf, 4096}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    spawn(fun() -> {ok, S} = gen_tcp:accept(L), register(slow_peer, self()), Self ! accepted, receive stop -> S end end),
    spawn(fun() ->
        register(event_pusher, self()),
        {ok, C} = gen_tcp:connect("127.0.0.1", Port, [binary, {sndbuf, 4096}, {high_watermark, 1 bsl 30},
                                                      {low_watermark, 1 bsl 29}, {send_timeout, infinity}]),
        Chunk = binary:copy(<<"e">>, 65536),
        [ok = gen_tcp:send(C, <<I:64, Chunk/binary>>) || I <- lists:seq(1, 3000)],
        Self ! sent,
        receive stop -> C end
    end),
    receive accepted -> ok end,
    receive sent -> ok end,
    timer:sleep(200),
    erlang:halt("shape: port backlog").

%% A broker's many slow clients: 2,000 TCP connections whose peers never read, 100 KiB queued on
%% each (none far behind alone, 200 MiB in all). Needs ulimit -n over 4,000.
slow_clients() ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {recbuf, 4096}, {backlog, 4096}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    spawn(fun Accept() -> {ok, _} = gen_tcp:accept(L), Accept() end),
    Chunk = binary:copy(<<"m">>, 10240),
    [spawn(fun() ->
        {ok, C} = gen_tcp:connect("127.0.0.1", Port, [binary, {sndbuf, 4096}, {high_watermark, 1 bsl 30},
                                                      {low_watermark, 1 bsl 29}, {send_timeout, infinity}]),
        [ok = gen_tcp:send(C, <<I:32, J:32, Chunk/binary>>) || J <- lists:seq(1, 10)],
        Self ! sent,
        receive stop -> C end
     end) || I <- lists:seq(1, 2000)],
    [receive sent -> ok end || _ <- lists:seq(1, 2000)],
    timer:sleep(300),
    erlang:halt("shape: slow clients").

%% A table per connection: 100,000 processes each own a table named conn_state of 20 objects.
%% Needs +P 1000000.
table_per_process() ->
    Self = self(),
    [spawn(fun() ->
        T = ets:new(conn_state, [set]),
        true = ets:insert(T, [{K, <<"v">>} || K <- lists:seq(1, 20)]),
        Self ! ok,
        receive stop -> T end
     end) || _ <- lists:seq(1, 100000)],
    [receive ok -> ok end || _ <- lists:seq(1, 100000)],
    erlang:halt("shape: a table per process").

init([]) -> {ok, #{}}.
handle_call(stall, _From, S) -> timer:sleep(infinity), {reply, ok, S};
handle_call(_, _From, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
