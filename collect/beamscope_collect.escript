#!/usr/bin/env escript
%% -*- erlang -*-
%%! -hidden -dist_listen false -connect_all false +Bd -setcookie beamscope_collect_own_cookie_unused
%%
%% beamscope collect: snapshots from a live node over Erlang distribution (docs/collect.md).
%%
%% Run by `beamscope collect` (src/collect/run.ts), which passes KEY=VALUE arguments and the
%% cookie in the environment (BEAMSCOPE_COOKIE, so that it is not on a command line); without it
%% the cookie is read from ~/.erlang.cookie (never created). This node does not listen and is
%% hidden (-dist_listen false): it registers nothing with epmd and joins no cluster.
%%
%% Arguments: node=NAME@HOST names=short|long timeout=MS out=DIR processes=true|false|summary
%%            bin_leak=true|false interval=MS count=N max_binary_list=N
%% (processes=summary: no records; the sample event carries the largest mailbox and the process,
%% port and atom counts against their limits, for beamscope exporter. `serve`: see below.)
%%
%% Each sample writes into DIR (STAMP is the time it was taken, 20261128T014733.123Z):
%%   alloc-STAMP.snapshot            {erlang:memory(), recon_alloc:allocators()} as
%%                                   recon_alloc:snapshot_save/1 writes it (io_lib:format("~p.~n")),
%%                                   after one `%%` comment line with the node and taken_at;
%%   processes-STAMP.jsonl           one JSON process record per line, after a metadata line;
%%   binleak-before-STAMP.jsonl,     with bin_leak=true: each process read, garbage-collected and
%%   binleak-after-STAMP.jsonl       read again, as recon:bin_leak/1 does.
%% Files are written under a `.partial` name and renamed when complete.
%%
%% On the node: BIFs through erpc for the allocators; for the processes, the module in
%% beamscope_collect_agent.erl, loaded while a sample reads processes and deleted and purged after.
%%
%% Standard output is one JSON object per line, for the TypeScript side:
%%   {"event":"connected",...} {"event":"progress",...} {"event":"sample",...} {"event":"done"}
%%   {"event":"error","kind":"node-down|cookie|name|timeout|epmd|host|dist|agent|rpc|io|usage|internal",
%%    "message":"..."}   (exit status 1)
-mode(compile).

-define(AGENT, beamscope_collect_agent).

main(["serve" | Args]) ->
    _ = (catch logger:set_primary_config(level, none)),
    serve(Args);
main(Args) ->
    %% This node's own reports (a failed long-name start, a refused connection) are not for the
    %% user: the one error line below says what went wrong.
    _ = (catch logger:set_primary_config(level, none)),
    Code = try run(parse_args(Args)) of
               ok -> 0
           catch
               throw:{fail, Kind, Msg} ->
                   emit([{event, <<"error">>}, {kind, atom_to_binary(Kind, utf8)}, {message, Msg}]),
                   1;
               Class:Reason:Stack ->
                   Where = case Stack of [Top | _] -> Top; [] -> none end,
                   emit([{event, <<"error">>}, {kind, <<"internal">>},
                         {message, fmt("collector failed: ~tw:~tW at ~tw", [Class, Reason, 20, Where])}]),
                   1
           end,
    erlang:halt(Code, [{flush, true}]).

%% ---- arguments ------------------------------------------------------------------------------

parse_args(Args) ->
    KV = maps:from_list([case string:split(A, "=") of
                             [K, V] -> {K, V};
                             _ -> fail(usage, "bad argument ~tp (expected KEY=VALUE)", [A])
                         end || A <- Args]),
    Get = fun(K, D) -> maps:get(K, KV, D) end,
    Node0 = Get("node", ""),
    Node0 =:= "" andalso fail(usage, "node=NAME@HOST is required", []),
    {Name, Host} = case string:split(Node0, "@") of
                       [N, H] when N =/= "", H =/= "" -> {N, H};
                       [N] when N =/= "" -> {N, short_hostname()};
                       _ -> fail(usage, "bad node name ~ts (expected NAME@HOST)", [Node0])
                   end,
    Names = case Get("names", "") of
                "short" -> shortnames;
                "long" -> longnames;
                "" -> names_of(Host)
            end,
    #{node => list_to_atom(Name ++ "@" ++ Host), name => Name, host => Host, names => Names,
      timeout => int(Get("timeout", "30000")),
      out => Get("out", "."),
      processes => Get("processes", "true") =:= "true",
      %% processes=summary (the exporter): the largest mailbox and counts against limits, no records
      summary => Get("processes", "true") =:= "summary",
      bin_leak => Get("bin_leak", "false") =:= "true",
      interval => int(Get("interval", "0")),
      count => max(1, int(Get("count", "1"))),
      max_binary_list => int(Get("max_binary_list", "1000"))}.

int(S) ->
    try list_to_integer(S) catch error:badarg -> fail(usage, "not a whole number: ~ts", [S]) end.

%% Long names have a dot in the host part (a domain or an IPv4 address) or are IPv6 addresses.
names_of(Host) ->
    case lists:member($., Host) orelse lists:member($:, Host) of
        true -> longnames;
        false -> shortnames
    end.

short_hostname() ->
    {ok, H} = inet:gethostname(),
    hd(string:split(H, ".")).

%% ---- the run --------------------------------------------------------------------------------

run(#{node := Node, out := Out, timeout := T} = S0) ->
    Cookie = cookie(),
    %% The handshake gives up after net_setuptime (7 s by default), read when distribution
    %% starts, and connect_node/1 then says false, as for a wrong cookie: wait as long as the
    %% user allows instead.
    application:set_env(kernel, net_setuptime, max(1, min(120, (T + 999) div 1000))),
    start_distribution(S0),
    erlang:set_cookie(Node, Cookie),
    reach(S0),
    Release = rpc(S0, erlang, system_info, [otp_release]),
    Schedulers = rpc(S0, erlang, system_info, [schedulers]),
    emit([{event, <<"connected">>}, {node, atom_to_binary(Node, utf8)}, {otpRelease, bin(Release)},
          {schedulers, Schedulers}]),
    case filelib:ensure_dir(filename:join(Out, "x")) of
        ok -> ok;
        {error, E} -> fail(io, "cannot create ~ts: ~ts", [Out, file:format_error(E)])
    end,
    S1 = S0#{release => bin(Release)},
    %% compiled once; loaded on the node only while a sample reads processes, so that nothing of
    %% ours stays there between samples (nor after, should this collector be killed then)
    S = case maps:get(processes, S1) orelse maps:get(bin_leak, S1) orelse maps:get(summary, S1) of
            true -> S1#{agent => agent()};
            false -> S1
        end,
    samples(S, 1, erlang:monotonic_time(millisecond)),
    emit([{event, <<"done">>}]),
    ok.

samples(#{count := Count, interval := Interval} = S, I, Start) ->
    sample(S, I),
    case I < Count of
        true ->
            Next = Start + I * Interval,
            timer:sleep(max(0, Next - erlang:monotonic_time(millisecond))),
            samples(S, I + 1, Start);
        false ->
            ok
    end.

sample(#{out := Out, node := Node, count := Count} = S, I) ->
    Ms = erlang:system_time(millisecond),
    TakenAt = iso(Ms),
    Stamp = stamp(Ms),
    Alloc = filename:join(Out, "alloc-" ++ Stamp ++ ".snapshot"),
    Snap = {rpc(S, erlang, memory, []), allocators(S)},
    Header = io_lib:format("%% beamscope collect: node ~ts, OTP ~ts, taken_at ~ts, sample ~b of ~b~n",
                           [atom_to_list(Node), maps:get(release, S), TakenAt, I, Count]),
    write_file(Alloc, [Header, io_lib:format("~p.~n", [Snap])]),
    Files0 = [{alloc, bin(Alloc)}],
    case S of
        #{agent := Agent} ->
            load_agent(S, Agent),
            try
                sample_processes(S, I, Stamp, TakenAt, Files0)
            after
                unload_agent(S)
            end;
        _ ->
            sample_processes(S, I, Stamp, TakenAt, Files0)
    end.

sample_processes(#{out := Out, node := Node, count := Count} = S, I, Stamp, TakenAt, Files0) ->
    Meta = fun(Phase) -> [{schema, <<"beamscope.procs/1">>}, {node, atom_to_binary(Node, utf8)},
                          {phase, Phase}, {takenAt, bin(TakenAt)}, {otpRelease, maps:get(release, S)},
                          {collector, <<"beamscope collect">>}] end,
    {Files1, Procs} =
        case maps:get(processes, S) of
            true ->
                P = filename:join(Out, "processes-" ++ Stamp ++ ".jsonl"),
                N = stream(S, snapshot, [{P, Meta(<<"snapshot">>)}]),
                {Files0 ++ [{processes, bin(P)}], N};
            false ->
                {Files0, null}
        end,
    Files = case maps:get(bin_leak, S) of
                true ->
                    B = filename:join(Out, "binleak-before-" ++ Stamp ++ ".jsonl"),
                    A = filename:join(Out, "binleak-after-" ++ Stamp ++ ".jsonl"),
                    _ = stream(S, bin_leak, [{B, Meta(<<"before-gc">>)}, {A, Meta(<<"after-gc">>)}]),
                    Files1 ++ [{binLeakBefore, bin(B)}, {binLeakAfter, bin(A)}];
                false ->
                    Files1
            end,
    Summary = case maps:get(summary, S) of
                  true -> [{summary, summary(S)}];
                  false -> []
              end,
    emit([{event, <<"sample">>}, {index, I}, {count, Count}, {takenAt, bin(TakenAt)},
          {stamp, bin(Stamp)}, {processes, Procs}, {files, {obj, Files}} | Summary]).

summary(S) ->
    {Largest, Counts} = rpc(S, ?AGENT, summary, []),
    Mailbox = case Largest of
                  none -> null;
                  {Pid, Len, Name} -> {obj, [{pid, local_pid(Pid)}, {messages, Len}
                                             | [{name, atom_to_binary(Name, utf8)} || is_atom(Name)]]}
              end,
    {obj, [{largestMailbox, Mailbox} | [{K, V} || {K, V} <- Counts, is_integer(V)]]}.

%% ---- reaching the node ----------------------------------------------------------------------

cookie() ->
    case os:getenv("BEAMSCOPE_COOKIE") of
        C when is_list(C), C =/= "" -> list_to_atom(C);
        _ ->
            Home = case os:getenv("HOME") of false -> ""; H -> H end,
            Xdg = case os:getenv("XDG_CONFIG_HOME") of
                      X when is_list(X), X =/= "" -> X;
                      _ -> filename:join(Home, ".config")
                  end,
            Paths = [filename:join(Home, ".erlang.cookie"), filename:join([Xdg, "erlang", ".erlang.cookie"])],
            case [C || P <- Paths, {ok, Bin} <- [file:read_file(P)], C <- [string:trim(binary_to_list(Bin))], C =/= ""] of
                [C | _] -> list_to_atom(C);
                [] -> fail('no-cookie', "no cookie: pass --cookie, or put the node's cookie in ~ts", [hd(Paths)])
            end
    end.

start_distribution(#{names := Names}) ->
    Own = "beamscope_collect_" ++ integer_to_list(list_to_integer(os:getpid()) rem 1000),
    Tries = case Names of
                shortnames -> [[list_to_atom(Own), shortnames]];
                %% without a domain name for this host, long names need an explicit host
                longnames -> [[list_to_atom(Own), longnames], [list_to_atom(Own ++ "@127.0.0.1"), longnames]]
            end,
    start_distribution(Tries, none).

start_distribution([], Last) ->
    fail(dist, "cannot start Erlang distribution on this machine: ~tp", [Last]);
start_distribution([Args | More], _) ->
    case catch net_kernel:start(Args) of
        {ok, _} -> ok;
        {error, {already_started, _}} -> ok;
        Other ->
            _ = (catch net_kernel:stop()),
            start_distribution(More, Other)
    end.

%% Tells "no such host", "no epmd there", "node not registered", "refused" (cookie) and
%% "no answer" apart, each in one line.
reach(#{node := Node, name := Name, host := Host, timeout := T}) ->
    Family = case names_of(Host) of longnames -> [inet, inet6]; shortnames -> [inet, inet6] end,
    Addr = case [A || F <- Family, {ok, A} <- [inet:getaddr(Host, F)]] of
               [A | _] -> A;
               [] -> fail(host, "cannot reach ~ts: unknown host ~ts", [atom_to_list(Node), Host])
           end,
    case with_deadline(fun() -> erl_epmd:names(Addr) end, T) of
        {ok, Registered} ->
            case lists:keymember(Name, 1, Registered) of
                true -> ok;
                false ->
                    Others = [N || {N, _} <- Registered],
                    fail('node-down', "node ~ts is not running: no node named ~ts is registered with epmd on ~ts~ts",
                         [atom_to_list(Node), Name, Host,
                          case Others of
                              [] -> "";
                              _ -> " (registered: " ++ lists:join(", ", lists:sublist(Others, 8)) ++ ")"
                          end])
            end;
        {error, _} ->
            fail('node-down', "node ~ts is not running: epmd does not answer on ~ts (no Erlang node runs there)",
                 [atom_to_list(Node), Host]);
        timeout ->
            fail(timeout, "timed out after ~ts asking epmd on ~ts for ~ts", [secs(T), Host, atom_to_list(Node)])
    end,
    %% A node that did not answer is told from one that refused by the time it took.
    T0 = erlang:monotonic_time(millisecond),
    Result = with_deadline(fun() -> net_kernel:connect_node(Node) end, T),
    Took = erlang:monotonic_time(millisecond) - T0,
    case Result of
        true -> ok;
        false when Took >= 5000 ->
            fail(timeout, "~ts is registered with epmd on ~ts but did not finish the handshake in ~ts (stopped, swapping or overloaded?)",
                 [atom_to_list(Node), Host, secs(Took)]);
        false ->
            case other_name(Node, Name, Host, T) of
                {ok, Real} ->
                    fail(name, "~ts is not that node's name: epmd on ~ts knows ~ts, and the node answers as ~ts (pass --node ~ts)",
                         [atom_to_list(Node), Host, Name, atom_to_list(Real), atom_to_list(Real)]);
                none ->
                    fail(cookie, "node ~ts refused the connection: wrong cookie? (pass --cookie, or check ~~/.erlang.cookie; the node logs the refused attempt)",
                         [atom_to_list(Node)])
            end;
        timeout ->
            fail(timeout, "timed out after ~ts connecting to ~ts (the node is registered with epmd but does not answer)",
                 [secs(T), atom_to_list(Node)]);
        Other ->
            fail(dist, "cannot connect to ~ts: ~tP", [atom_to_list(Node), Other, 12])
    end.

%% A node registered with epmd as Name that refuses Name@Host may be named after another form of
%% its host (x@myhost for x@localhost, the short name for the long one): the first other form it
%% accepts a connection as, if any.
other_name(Node, Name, Host, T) ->
    {ok, Here} = inet:gethostname(),
    Canonical = case inet:gethostbyname(Host) of
                    {ok, {hostent, HName, Aliases, _, _, _}} -> [HName | Aliases];
                    _ -> []
                end,
    Short = fun(H) -> hd(string:split(H, ".")) end,
    Local = lists:member(Host, ["localhost", "127.0.0.1", "::1"]) orelse Short(Host) =:= Here,
    Forms = lists:usort([Short(H) || H <- Canonical] ++ Canonical ++ [Here || Local] ++ [net_adm:localhost() || Local]),
    Tries = [list_to_atom(Name ++ "@" ++ H) || H <- Forms, H =/= Host, H =/= ""],
    Cookie = erlang:get_cookie(Node),
    [erlang:set_cookie(N, Cookie) || N <- Tries],
    first_accepted(Tries, T).

first_accepted([], _T) -> none;
first_accepted([N | More], T) ->
    case with_deadline(fun() -> net_kernel:connect_node(N) end, min(T, 3000)) of
        true -> {ok, N};
        _ -> first_accepted(More, T)
    end.

with_deadline(Fun, T) ->
    Self = self(),
    Tag = make_ref(),
    Pid = spawn(fun() -> Self ! {Tag, catch Fun()} end),
    receive
        {Tag, R} -> R
    after T ->
            exit(Pid, kill),
            timeout
    end.

rpc(#{node := Node, timeout := T} = S, M, F, A) ->
    try
        erpc:call(Node, M, F, A, T)
    catch
        error:{erpc, notsup} ->
            %% a node older than OTP 23 has no erpc: the rpc server does the same
            old_rpc(S, M, F, A);
        error:{erpc, timeout} ->
            fail(timeout, "timed out after ~ts waiting for ~ts to answer ~ts:~ts/~b",
                 [secs(T), atom_to_list(Node), M, F, length(A)]);
        error:{erpc, noconnection} ->
            fail('node-down', "lost the connection to ~ts", [atom_to_list(Node)]);
        error:{exception, R, _} ->
            fail(rpc, "~ts:~ts/~b failed on ~ts: ~tP", [M, F, length(A), atom_to_list(Node), R, 12]);
        error:{erpc, R} ->
            fail(rpc, "~ts:~ts/~b on ~ts: ~tp", [M, F, length(A), atom_to_list(Node), R])
    end.

old_rpc(#{node := Node, timeout := T}, M, F, A) ->
    case rpc:call(Node, M, F, A, T) of
        {badrpc, timeout} ->
            fail(timeout, "timed out after ~ts waiting for ~ts to answer ~ts:~ts/~b",
                 [secs(T), atom_to_list(Node), M, F, length(A)]);
        {badrpc, nodedown} ->
            fail('node-down', "lost the connection to ~ts", [atom_to_list(Node)]);
        {badrpc, R} ->
            fail(rpc, "~ts:~ts/~b failed on ~ts: ~tP", [M, F, length(A), atom_to_list(Node), R, 12]);
        R ->
            R
    end.

secs(Ms) when Ms rem 1000 =:= 0 -> integer_to_list(Ms div 1000) ++ " s";
secs(Ms) -> float_to_list(Ms / 1000, [{decimals, 3}, compact]) ++ " s".

%% ---- allocators: recon_alloc:allocators/0 (recon 2.5.x), through BIF calls -------------------

allocators(S) ->
    UtilAllocators = rpc(S, erlang, system_info, [alloc_util_allocators]),
    Allocators = [sys_alloc, mseg_alloc | UtilAllocators],
    ErtsMmap = try rpc(S, erlang, system_info, [{allocator, erts_mmap}]) of
                   Mmap -> [{{erts_mmap, 0}, Mmap}]
               catch throw:{fail, rpc, _} -> []
               end,
    ErtsMmap ++
        [{{A, N}, format_alloc(A, Props)}
         || A <- Allocators,
            Allocs <- [rpc(S, erlang, system_info, [{allocator, A}])],
            Allocs =/= false,
            {_, N, Props} <- Allocs].

%% Sorted top-level props, 2-tuples only (drops {versions, _, _}), blocks reformatted.
format_alloc(Alloc, Props) ->
    [{K, format_blocks(Alloc, K, V)} || {K, V} <- lists:sort(Props)].

format_blocks(_, _, []) ->
    [];
format_blocks(Alloc, Key, [{blocks, L} | List]) when Key =:= mbcs; Key =:= sbcs ->
    {Count, LastMax, Max, Size, LastMaxS, MaxS, Foreign} =
        lists:foldl(
          fun({Type, Props}, {C0, LM0, M0, S0, LMS0, MS0, F0}) ->
                  {count, C, LM, M} = lists:keyfind(count, 1, Props),
                  {size, S, LMS, MS} = lists:keyfind(size, 1, Props),
                  F = case Type of Alloc -> F0; _ -> [{Type, Props} | F0] end,
                  {C0 + C, LM0 + LM, M0 + M, S0 + S, LMS0 + LMS, MS0 + MS, F}
          end, {0, 0, 0, 0, 0, 0, []}, L),
    [{blocks, Count, LastMax, Max},
     {blocks_size, Size, LastMaxS, MaxS},
     {foreign_blocks, lists:reverse(Foreign)},
     {raw_blocks, L}
     | format_blocks(Alloc, Key, List)];
format_blocks(Alloc, Key, [{blocks, L} | List]) when Key =:= mbcs_pool ->
    {Count, Size, Foreign} =
        lists:foldl(
          fun({Type, Props}, {C0, S0, F0}) ->
                  {count, C} = lists:keyfind(count, 1, Props),
                  {size, S} = lists:keyfind(size, 1, Props),
                  F = case Type of Alloc -> F0; _ -> [{Type, Props} | F0] end,
                  {C0 + C, S0 + S, F}
          end, {0, 0, []}, L),
    [{blocks, Count},
     {blocks_size, Size},
     {foreign_blocks, lists:reverse(Foreign)},
     {raw_blocks, L}
     | format_blocks(Alloc, Key, List)];
format_blocks(Alloc, Key, [H | T]) ->
    [H | format_blocks(Alloc, Key, T)];
format_blocks(_Alloc, _Key, Val) ->
    Val.

%% ---- serve: one collector for many collections (beamscope exporter) ---------------------------
%%
%% `escript beamscope_collect.escript serve names=short|long` reads one request a line on stdin,
%% `ID KEY=VALUE ...` with the arguments above, and runs each in a process of its own, at once:
%% the events it writes carry `"req":"ID"`, and every request ends in `done` or `error`. After
%% each request the connection to the node is dropped, so the next one connects afresh (a node
%% that restarted, or a connection that went stale, costs nothing). It stops when stdin closes.
%% One collector saves the start of an Erlang VM and the compilation of this script per node and
%% scrape. All nodes must use the same kind of names (short or long) as the first distribution
%% start here.

serve(Args) ->
    Names = case [V || A <- Args, ["names", V] <- [string:split(A, "=")]] of
                ["long" | _] -> longnames;
                _ -> shortnames
            end,
    try start_distribution(#{names => Names}) of
        ok -> ok
    catch
        throw:{fail, Kind, Msg} ->
            emit([{event, <<"error">>}, {kind, atom_to_binary(Kind, utf8)}, {message, Msg}]),
            erlang:halt(1, [{flush, true}])
    end,
    %% compiled now rather than in the first request, whose deadline it would eat into
    _ = (catch agent()),
    %% requests in flight per node: the connection is dropped by the last one to finish (a request
    %% given up on by the exporter may still run when the next scrape asks for the same node)
    _ = ets:new(beamscope_inflight, [named_table, public]),
    emit([{event, <<"ready">>}]),
    serve_loop().

serve_loop() ->
    case io:get_line(standard_io, "") of
        eof ->
            erlang:halt(0, [{flush, true}]);
        {error, _} ->
            erlang:halt(0, [{flush, true}]);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                [Id | Args] -> spawn(fun() -> serve_request(Id, Args) end);
                [] -> ok
            end,
            serve_loop()
    end.

serve_request(Id, Args) ->
    put(beamscope_request, bin(Id)),
    try
        S = parse_args(Args),
        put(beamscope_node, maps:get(node, S)),
        ets:update_counter(beamscope_inflight, maps:get(node, S), 1, {maps:get(node, S), 0}),
        run(S)
    catch
        throw:{fail, Kind, Msg} ->
            emit([{event, <<"error">>}, {kind, atom_to_binary(Kind, utf8)}, {message, Msg}]);
        Class:Reason:Stack ->
            Where = case Stack of [Top | _] -> Top; [] -> none end,
            emit([{event, <<"error">>}, {kind, <<"internal">>},
                  {message, fmt("collector failed: ~tw:~tW at ~tw", [Class, Reason, 20, Where])}])
    after
        case get(beamscope_node) of
            undefined -> ok;
            Node ->
                case ets:update_counter(beamscope_inflight, Node, -1) of
                    0 -> erlang:disconnect_node(Node);
                    _ -> ok
                end
        end
    end.

%% The agent, compiled once per collector.
agent() ->
    case persistent_term:get({?MODULE, agent}, none) of
        none ->
            A = compile_agent(),
            persistent_term:put({?MODULE, agent}, A),
            A;
        A ->
            A
    end.

%% ---- the agent on the node ------------------------------------------------------------------

compile_agent() ->
    Src = filename:join(filename:dirname(escript:script_name()), "beamscope_collect_agent.erl"),
    Forms = case epp:parse_file(Src, []) of
                {ok, F} -> F;
                {error, E} -> fail(agent, "cannot read ~ts: ~tp", [Src, E])
            end,
    Bin = case compile:forms(Forms, [binary, return_errors]) of
              {ok, ?AGENT, B} -> B;
              {ok, ?AGENT, B, _} -> B;
              Err -> fail(agent, "cannot compile ~ts: ~tp", [Src, Err])
          end,
    {Forms, Bin}.

load_agent(#{node := Node} = S, {Forms, Bin}) ->
    File = "beamscope_collect_agent.erl (loaded by beamscope collect)",
    case rpc(S, code, load_binary, [?AGENT, File, Bin]) of
        {module, ?AGENT} -> ok;
        {error, Why} ->
            %% A node of an older OTP may not load this compiler's output: compile it there.
            case catch rpc(S, compile, forms, [Forms, [binary, return_errors]]) of
                {ok, ?AGENT, B2} ->
                    case rpc(S, code, load_binary, [?AGENT, File, B2]) of
                        {module, ?AGENT} -> ok;
                        {error, Why2} -> fail(agent, "cannot load the collector module on ~ts: ~tp", [atom_to_list(Node), Why2])
                    end;
                _ ->
                    fail(agent, "cannot load the collector module on ~ts: ~tp", [atom_to_list(Node), Why])
            end
    end.

unload_agent(#{node := Node, timeout := T}) ->
    _ = (catch erpc:call(Node, code, delete, [?AGENT], T)),
    _ = (catch erpc:call(Node, code, soft_purge, [?AGENT], T)),
    ok.

%% Records come in batches; each is written and acknowledged before the agent sends more than
%% one batch ahead. Files: [{Path, Meta}] (one for a snapshot, before and after for bin_leak).
stream(#{node := Node, timeout := T, max_binary_list := Max} = S, Mode, Files) ->
    Fds = [begin
               Fd = open_out(P),
               ok = write(Fd, P, [json({obj, Meta}), $\n]),
               {Fd, P}
           end || {P, Meta} <- Files],
    Ref = make_ref(),
    Opts = #{max_binary_list => Max, batch => 500, stall_ms => max(60000, 4 * T)},
    Pid = rpc(S, ?AGENT, start, [self(), Ref, Mode, Opts]),
    MRef = erlang:monitor(process, Pid),
    Phase = case Mode of snapshot -> <<"processes">>; bin_leak -> <<"bin-leak">> end,
    Count = try
                receive_loop(S, Pid, MRef, Ref, Mode, Fds, Phase, 0)
            catch
                Class:Reason:Stack ->
                    %% no half-written file is left looking complete
                    [begin _ = file:close(Fd), _ = file:delete(P ++ ".partial") end || {Fd, P} <- Fds],
                    erlang:raise(Class, Reason, Stack)
            end,
    [close_out(Fd, P) || {Fd, P} <- Fds],
    _ = Node,
    Count.

receive_loop(#{node := Node, timeout := T} = S, Pid, MRef, Ref, Mode, Fds, Phase, N) ->
    receive
        {Ref, batch, Seq, Records} ->
            write_batch(Mode, Records, Fds),
            Pid ! {Ref, ack, Seq},
            N1 = N + length(Records),
            case Seq rem 20 of
                0 -> emit([{event, <<"progress">>}, {phase, Phase}, {records, N1}]);
                _ -> ok
            end,
            receive_loop(S, Pid, MRef, Ref, Mode, Fds, Phase, N1);
        {Ref, done, Count} ->
            erlang:demonitor(MRef, [flush]),
            Count;
        {'DOWN', MRef, process, Pid, noconnection} ->
            fail('node-down', "lost the connection to ~ts after ~b process records", [atom_to_list(Node), N]);
        {'DOWN', MRef, process, Pid, Why} ->
            fail(agent, "the collector process on ~ts stopped after ~b process records: ~tP", [atom_to_list(Node), N, Why, 12])
    after T ->
            exit(Pid, kill),
            fail(timeout, "timed out: no process records from ~ts for ~ts (after ~b)", [atom_to_list(Node), secs(T), N])
    end.

write_batch(snapshot, Records, [{Fd, P}]) ->
    ok = write(Fd, P, [[record_json(R), $\n] || R <- Records]);
write_batch(bin_leak, Pairs, [{FdB, PB}, {FdA, PA}]) ->
    ok = write(FdB, PB, [[record_json(B), $\n] || {B, _} <- Pairs]),
    ok = write(FdA, PA, [[record_json(A), $\n] || {_, A} <- Pairs, A =/= undefined]).

%% One process record (docs/leak.md, schema beamscope.procs/1).
record_json(R) ->
    {P, Name, IC, CF, Mem, Q, Red, Refs, Bytes} = {element(1, R), element(2, R), element(3, R),
                                                  element(4, R), element(5, R), element(6, R),
                                                  element(7, R), element(8, R), element(9, R)},
    List = case tuple_size(R) of
               10 -> [{binary, [{obj, [{address, bin(io_lib:format("0x~.16B", [A]))}, {size, Sz}, {refc, C}]}
                                || {A, Sz, C} <- element(10, R)]}];
               _ -> []
           end,
    json({obj, [{pid, local_pid(P)},
                {name, case Name of [] -> null; _ -> atom_to_binary(Name, utf8) end},
                {initialCall, mfa(IC)},
                {currentFunction, mfa(CF)},
                {messageQueueLen, Q},
                {memory, Mem},
                {reductions, Red},
                {binaryRefs, Refs},
                {binaryBytes, Bytes}
                | List]}).

%% "<5.85.0>" here is "<0.85.0>" on the node (and in its crash dumps).
local_pid(P) ->
    [_, Rest] = string:split(pid_to_list(P), "."),
    bin("<0." ++ Rest).

mfa({M, F, A}) when is_atom(M), is_atom(F), is_integer(A) ->
    bin(io_lib:format("~tw:~tw/~w", [M, F, A]));
mfa(_) ->
    null.

%% ---- files ----------------------------------------------------------------------------------

open_out(Path) ->
    case file:open(Path ++ ".partial", [write, raw, binary, {delayed_write, 1 bsl 20, 2000}]) of
        {ok, Fd} -> Fd;
        {error, E} -> fail(io, "cannot write ~ts: ~ts", [Path, file:format_error(E)])
    end.

write(Fd, Path, Data) ->
    case file:write(Fd, Data) of
        ok -> ok;
        {error, E} -> fail(io, "cannot write ~ts: ~ts", [Path, file:format_error(E)])
    end.

close_out(Fd, Path) ->
    case file:close(Fd) of
        ok -> ok;
        {error, E} -> fail(io, "cannot write ~ts: ~ts", [Path, file:format_error(E)])
    end,
    case file:rename(Path ++ ".partial", Path) of
        ok -> ok;
        {error, E2} -> fail(io, "cannot rename ~ts: ~ts", [Path, file:format_error(E2)])
    end.

write_file(Path, Data) ->
    Fd = open_out(Path),
    ok = write(Fd, Path, Data),
    close_out(Fd, Path).

%% ---- small things ---------------------------------------------------------------------------

iso(Ms) ->
    calendar:system_time_to_rfc3339(Ms, [{unit, millisecond}, {offset, "Z"}]).

%% 20261128T014733.123Z: sorts by time, no colons (file names on any system).
stamp(Ms) ->
    {{Y, Mo, D}, {H, Mi, S}} = calendar:system_time_to_universal_time(Ms div 1000, second),
    lists:flatten(io_lib:format("~4..0b~2..0b~2..0bT~2..0b~2..0b~2..0b.~3..0bZ", [Y, Mo, D, H, Mi, S, Ms rem 1000])).

bin(B) when is_binary(B) -> B;
bin(L) -> unicode:characters_to_binary(L).

fmt(F, A) -> bin(io_lib:format(F, A)).

fail(Kind, F, A) -> throw({fail, Kind, fmt(F, A)}).

emit(Fields) ->
    Tagged = case get(beamscope_request) of
                 undefined -> Fields;
                 Id -> [{req, Id} | Fields]
             end,
    io:put_chars([json({obj, Tagged}), $\n]).

%% A small JSON encoder: {obj, [{Key, Value}]}, lists, binaries (UTF-8 text), integers, floats,
%% true/false/null. Output is ASCII (other characters as \u escapes).
json({obj, Fields}) ->
    [${, lists:join($,, [[json_string(atom_to_binary(K, utf8)), $:, json(V)] || {K, V} <- Fields]), $}];
json(L) when is_list(L) -> [$[, lists:join($,, [json(V) || V <- L]), $]];
json(B) when is_binary(B) -> json_string(B);
json(I) when is_integer(I) -> integer_to_binary(I);
json(F) when is_float(F) -> float_to_binary(F, [short]);
json(true) -> <<"true">>;
json(false) -> <<"false">>;
json(null) -> <<"null">>;
json(A) when is_atom(A) -> json_string(atom_to_binary(A, utf8)).

json_string(B) ->
    case is_plain(B) of
        true -> [$", B, $"];
        false ->
            Chars = case unicode:characters_to_list(B, utf8) of
                        L when is_list(L) -> L;
                        _ -> binary_to_list(B)     % not UTF-8: bytes as Latin-1
                    end,
            [$", [esc(C) || C <- Chars], $"]
    end.

is_plain(<<C, R/binary>>) when C >= 16#20, C < 16#7f, C =/= $", C =/= $\\ -> is_plain(R);
is_plain(<<>>) -> true;
is_plain(_) -> false.

esc($") -> "\\\"";
esc($\\) -> "\\\\";
esc($\n) -> "\\n";
esc($\r) -> "\\r";
esc($\t) -> "\\t";
esc(C) when C >= 16#20, C < 16#7f -> C;
esc(C) when C < 16#10000 -> io_lib:format("\\u~4.16.0b", [C]);
esc(C) ->
    C1 = C - 16#10000,
    [esc(16#D800 bor (C1 bsr 10)), esc(16#DC00 bor (C1 band 16#3FF))].
