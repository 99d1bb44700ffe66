%% beamscope collect: the code that runs on the node being inspected.
%%
%% beamscope_collect.escript compiles this module, loads it on the node with code:load_binary/3 while
%% a sample reads processes, and deletes and purges it right after. It only calls BIFs
%% (erlang:processes/0, process_info/2, garbage_collect/1). One streamer process walks the process
%% table and sends the collector batches of raw records; it waits for the collector's
%% acknowledgement before it gets more than two batches ahead, so neither side ever holds more than
%% a few batches, whatever the number of processes. The work per process is bounded: a fixed list
%% of process_info items (never `messages`), the dictionary only for proc_lib processes (and only
%% the `$initial_call` key where the VM can read one key), the binary list summed, and listed only
%% up to a cap.
%%
%% A record is {Pid, RegisteredName | [], InitialCall, CurrentFunction, Memory, MessageQueueLen,
%% Reductions, BinaryRefs, BinaryBytes, BinaryList | omitted}, all as process_info gives them.
-module(beamscope_collect_agent).

-export([start/4, version/0, summary/0]).

version() -> 1.

%% Called through erpc on the node. Returns the streamer's pid at once; records arrive as
%% {Ref, batch, Seq, [Record | {Before, After}]} and the end as {Ref, done, Count}.
%% Mode: snapshot | bin_leak.
start(Collector, Ref, Mode, Opts) when Mode =:= snapshot; Mode =:= bin_leak ->
    spawn(fun() -> init(Collector, Ref, Mode, Opts) end).

init(Collector, Ref, Mode, Opts) ->
    MRef = erlang:monitor(process, Collector),
    State = #{collector => Collector, ref => Ref, mref => MRef, mode => Mode,
              max_list => maps:get(max_binary_list, Opts, 1000),
              batch => maps:get(batch, Opts, 500),
              stall_ms => maps:get(stall_ms, Opts, 60000),
              dict_key => dict_key_supported(),
              seq => 0, acked => 0, count => 0,
              flushed => erlang:monotonic_time(millisecond)},
    walk(first(), [], 0, State).

%% The exporter's figures (processes=summary), in one call and without records: the process with
%% the longest message queue ({Pid, Len, Name | []}, or none) and the counts against their limits.
%% One process_info/2 call per process, for message_queue_len only.
summary() ->
    Largest = largest(first(), none),
    Counts = [{K, erlang:system_info(K)} || K <- [process_count, process_limit, port_count, port_limit, atom_count, atom_limit]],
    {Largest, Counts}.

largest(none, Best) -> Best;
largest({P, Next}, Best) ->
    case erlang:process_info(P, message_queue_len) of
        {message_queue_len, N} when Best =:= none; N > element(2, Best) ->
            Name = case erlang:process_info(P, registered_name) of
                       {registered_name, R} -> R;
                       _ -> []
                   end,
            largest(next(Next), {P, N, Name});
        _ ->
            largest(next(Next), Best)
    end.

%% ---- the process table ----------------------------------------------------------------------

%% OTP 28 has an iterator over the process table; older VMs give the list of pids (what recon does).
first() ->
    try apply(erlang, processes_iterator, []) of
        It -> next({iter, It})
    catch
        error:undef -> next({list, erlang:processes()})
    end.

next({iter, It}) ->
    case apply(erlang, processes_next, [It]) of
        none -> none;
        {P, It2} -> {P, {iter, It2}}
    end;
next({list, [P | T]}) -> {P, {list, T}};
next({list, []}) -> none.

walk(none, Acc, _N, State) ->
    State1 = flush(Acc, State),
    #{collector := C, ref := Ref, count := Count} = State1,
    C ! {Ref, done, Count},
    ok;
walk({P, Cursor}, Acc, N, State) when P =:= self() ->
    walk(next(Cursor), Acc, N, State);
walk({P, Cursor}, Acc, N, #{mode := Mode} = State) ->
    case one(Mode, P, State) of
        skip ->
            walk(next(Cursor), Acc, N, State);
        R ->
            %% a batch is full at `batch` records, or after a second (slow processes, GCs of large
            %% heaps): the collector hears from this process at least every second or so
            Now = erlang:monotonic_time(millisecond),
            case N + 1 >= maps:get(batch, State) orelse Now - maps:get(flushed, State) >= 1000 of
                true -> walk(next(Cursor), [], 0, flush([R | Acc], State#{flushed := Now}));
                false -> walk(next(Cursor), [R | Acc], N + 1, State)
            end
    end.

one(snapshot, P, State) ->
    case record(P, State) of
        undefined -> skip;
        R -> R
    end;
one(bin_leak, P, State) ->
    %% recon:bin_leak/1: read, garbage-collect, read again.
    case record(P, State) of
        undefined -> skip;
        Before ->
            _ = (catch erlang:garbage_collect(P)),
            {Before, record(P, State)}
    end.

%% ---- one process ----------------------------------------------------------------------------

-define(ITEMS, [registered_name, initial_call, current_function, memory, message_queue_len,
                reductions, binary]).

record(P, #{max_list := Max, dict_key := DictKey}) ->
    case catch erlang:process_info(P, ?ITEMS) of
        [{registered_name, Name}, {initial_call, IC}, {current_function, CF}, {memory, Mem},
         {message_queue_len, Q}, {reductions, Red}, {binary, Bins}] ->
            {Refs, Bytes} = sum_binaries(Bins, 0, 0),
            Initial = real_initial_call(P, IC, DictKey),
            Base = {P, Name, Initial, CF, Mem, Q, Red, Refs, Bytes},
            case Refs =< Max of
                true -> erlang:append_element(Base, Bins);
                false -> Base
            end;
        _ ->
            undefined
    end.

sum_binaries([{_, Size, _} | T], N, B) -> sum_binaries(T, N + 1, B + Size);
sum_binaries([_ | T], N, B) -> sum_binaries(T, N, B);
sum_binaries([], N, B) -> {N, B}.

%% proc_lib keeps the real initial call in the dictionary; read only that key where the VM can.
real_initial_call(P, {proc_lib, _, _} = IC, DictKey) ->
    Found = case DictKey of
                true ->
                    case catch erlang:process_info(P, {dictionary, '$initial_call'}) of
                        {_, V} -> V;
                        _ -> undefined
                    end;
                false ->
                    case catch erlang:process_info(P, dictionary) of
                        {dictionary, D} ->
                            case lists:keyfind('$initial_call', 1, D) of
                                {_, V} -> V;
                                false -> undefined
                            end;
                        _ -> undefined
                    end
            end,
    case Found of
        {M, F, A} when is_atom(M), is_atom(F), is_integer(A) -> Found;
        _ -> IC
    end;
real_initial_call(_P, IC, _) ->
    IC.

dict_key_supported() ->
    try erlang:process_info(self(), {dictionary, '$initial_call'}) of
        _ -> true
    catch
        error:badarg -> false
    end.

%% ---- to the collector -----------------------------------------------------------------------

flush([], State) ->
    State;
flush(Acc, #{collector := C, ref := Ref, seq := Seq, count := Count} = State) ->
    State1 = wait_acks(Seq - 1, State),
    C ! {Ref, batch, Seq + 1, lists:reverse(Acc)},
    State1#{seq := Seq + 1, count := Count + length(Acc)}.

%% At most two batches in flight.
wait_acks(Upto, #{acked := A} = State) when A >= Upto ->
    State;
wait_acks(Upto, #{ref := Ref, mref := MRef, stall_ms := Stall} = State) ->
    receive
        {Ref, ack, S} -> wait_acks(Upto, State#{acked := max(S, maps:get(acked, State))});
        {'DOWN', MRef, process, _, _} -> gone()
    after Stall ->
            gone()
    end.

%% The collector went away (killed, or the connection dropped): stop, and have the timer server
%% (which does not run this module's code) delete and purge this module shortly after.
gone() ->
    _ = timer:apply_after(1000, code, delete, [?MODULE]),
    _ = timer:apply_after(2000, code, soft_purge, [?MODULE]),
    exit(normal).
