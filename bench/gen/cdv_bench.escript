#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% OTP's crashdump_viewer driven headless, for bench/run.ts (protocol from
%% shared/reference/crash-dump-format.md section 7.3/7.5):
%%
%%   escript bench/gen/cdv_bench.escript load DUMP
%%       read_file (the index pass), general_info, processes
%%   escript bench/gen/cdv_bench.escript proc DUMP PID
%%       read_file, general_info, proc_details(PID)  (processes() is skipped)
%%
%% Every finished phase is printed to stderr at once as one line
%% "cdv_phase <name> <seconds> <extra>", so a run that is killed at the
%% time cap still tells how far it got. The last stdout line is one JSON
%% object with the phase times, the counts, and this VM's peak RSS read
%% from /proc/self/status (VmHWM, Linux only; null elsewhere).
-mode(compile).

main(["load", File]) ->
    {TS, T0} = start(File),
    {ok, GI, _} = crashdump_viewer:general_info(),
    T1 = phase(general_info, T0, ""),
    {ok, Procs, _} = crashdump_viewer:processes(),
    N = length(Procs),
    MaxQ = lists:max([0 | [element(9, P) || P <- Procs]]),     % #proc.msg_q_len
    T2 = phase(processes, T1, integer_to_list(N)),
    finish([{"mode", "\"load\""},
            {"num_procs_general_info", quote(element(9, GI))},     % #general_info.num_procs
            {"processes", integer_to_list(N)},
            {"max_msg_q_len", integer_to_list(MaxQ)},
            {"total_s", secs(T2 - TS)}]);
main(["proc", File, Pid]) ->
    {TS, T0} = start(File),
    {ok, _GI, _} = crashdump_viewer:general_info(),
    T1 = phase(general_info, T0, ""),
    case crashdump_viewer:proc_details(Pid) of
        {ok, P, _} ->
            MsgQ = element(10, P),                                  % #proc.msg_q
            Len = case is_list(MsgQ) of true -> length(MsgQ); false -> -1 end,
            T2 = phase(proc_details, T1, integer_to_list(Len)),
            finish([{"mode", "\"proc\""},
                    {"msg_q_len", integer_to_list(element(9, P))},
                    {"messages_decoded", integer_to_list(Len)},
                    {"total_s", secs(T2 - TS)}]);
        Other ->
            io:format(standard_error, "cdv_bench: proc_details(~s): ~p~n", [Pid, Other]),
            halt(3)
    end;
main(_) ->
    io:format(standard_error, "usage: cdv_bench.escript load DUMP | proc DUMP PID~n", []),
    halt(64).

start(File) ->
    process_flag(trap_exit, true),
    T0 = erlang:monotonic_time(),
    {ok, Srv} = crashdump_viewer:start_link(),
    group_leader(null_io(), Srv),                  % swallow WARNING prints
    register(cdv_progress_handler, self()),
    ok = crashdump_viewer:read_file(File),
    ok = wait_done(),
    unregister(cdv_progress_handler),
    {T0, phase(read_file, T0, "")}.

phase(Name, Since, Extra) ->
    Now = erlang:monotonic_time(),
    io:format(standard_error, "cdv_phase ~s ~s ~s~n", [Name, secs(Now - Since), Extra]),
    put(phases, [{atom_to_list(Name), secs(Now - Since)} | get_phases()]),
    Now.

get_phases() -> case get(phases) of undefined -> []; L -> L end.

finish(Fields) ->
    Phases = ["{", lists:join(",", [["\"", K, "\":", V] || {K, V} <- lists:reverse(get_phases())]), "}"],
    All = Fields ++ [{"phases", Phases}, {"vm_hwm_kb", vm_hwm_kb()},
                     {"otp_release", quote(erlang:system_info(otp_release))}],
    io:put_chars(["{", lists:join(",", [["\"", K, "\":", V] || {K, V} <- All]), "}\n"]),
    crashdump_viewer:stop(),
    halt(0).

secs(NativeDiff) ->
    float_to_list(erlang:convert_time_unit(NativeDiff, native, microsecond) / 1.0e6,
                  [{decimals, 3}]).

quote(S) -> [$", S, $"].

vm_hwm_kb() ->
    case file:read_file("/proc/self/status") of
        {ok, B} ->
            case re:run(B, "VmHWM:\\s+(\\d+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> Kb;
                _ -> "null"
            end;
        _ -> "null"
    end.

wait_done() ->
    receive {progress, {ok, done}} -> ok;
            {progress, {error, Why}} -> io:format(standard_error, "cdv_bench: ~ts~n", [Why]), halt(2);
            {progress, _} -> wait_done()
    end.

null_io() -> spawn_link(fun Loop() ->
    receive {io_request, From, Ref, _} -> From ! {io_reply, Ref, ok}, Loop(); _ -> Loop() end end).
