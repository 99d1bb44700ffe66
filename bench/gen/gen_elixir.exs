# Crash-dump generator for bench class g (bench/run.ts drives it with `--classes g`): an Elixir
# node whose order server is flooded with calls, the mailbox Elixir users hit most.
#
# Usage: elixir bench/gen/gen_elixir.exs [Key=Value ...]
#
#   The registered `Shop.OrderServer`, a GenServer stuck in a call of its own, holds msgs=1000000
#   queued calls as OTP 25 queues them, {:"$gen_call", {pid, [:alias | ref]}, {:place, order}},
#   from callers=10000 client processes (each made its calls with :gen_server.send_request/2, what
#   GenServer.call sends before it waits, and waits; each call monitors the server, so the server
#   is monitored a million times, as by a million callers). Each order is a %Shop.Order{} struct
#   with a customer string, a list of one %Shop.Item{} struct (a SKU string and a quantity), a
#   status atom and a timestamp. And procs=100000 other processes, Agents holding a small map each
#   (an Elixir node's many GenServers).
#
# Ends with :erlang.halt(slogan) (slogan=..., default "beamscope bench class g"), which writes the
# crash dump to $ERL_CRASH_DUMP; set ERL_CRASH_DUMP_SECONDS=-1 so the writer is not cut short.
# Progress goes to stderr as "gen_elixir: ..." lines; the harness reads "gen_elixir: sink <pid> ..."
# and "gen_elixir: vm ...".

defmodule Shop.Item do
  defstruct sku: nil, qty: 1
end

defmodule Shop.Order do
  defstruct id: 0, customer: nil, items: [], status: :pending, inserted_at: 0
end

defmodule Shop.OrderServer do
  use GenServer

  def init(state), do: {:ok, state}

  # Replies, then never returns: every later call stays in the mailbox.
  def handle_call(:block, from, state) do
    GenServer.reply(from, :ok)
    Process.sleep(:infinity)
    {:reply, :ok, state}
  end
end

defmodule Gen do
  def log(fmt, args), do: IO.puts(:stderr, ["gen_elixir: ", :io_lib.format(fmt, args)])

  def vm_hwm do
    case File.read("/proc/self/status") do
      {:ok, s} ->
        case Regex.run(~r/VmHWM:\s+(\d+) kB/, s) do
          [_, kb] -> "#{div(String.to_integer(kb), 1024)} MB"
          _ -> "?"
        end

      _ ->
        "?"
    end
  end
end

opts =
  Map.merge(
    %{"msgs" => "1000000", "callers" => "10000", "procs" => "100000", "slogan" => "beamscope bench class g"},
    Map.new(System.argv(), fn kv -> kv |> String.split("=", parts: 2) |> List.to_tuple() end)
  )

msgs = String.to_integer(opts["msgs"])
callers = String.to_integer(opts["callers"])
procs = String.to_integer(opts["procs"])
t0 = System.monotonic_time(:millisecond)
Gen.log("class g: ~0p", [opts])

for i <- 1..procs//1 do
  {:ok, _} = Agent.start(fn -> %{id: i, name: "agent-#{i}", hits: 0} end)
end

{:ok, server} = GenServer.start(Shop.OrderServer, %{orders: 0}, name: Shop.OrderServer)
:ok = GenServer.call(server, :block)

# struct!/2: a script cannot use %Shop.Order{} in the file that defines Shop.Order.
order = fn i ->
  struct!(Shop.Order,
    id: i,
    customer: "customer-#{rem(i, 100_000)}",
    items: [struct!(Shop.Item, sku: "SKU-#{rem(i, 1000)}", qty: 1 + rem(i, 5))],
    inserted_at: 1_700_000_000 + i
  )
end

per = div(msgs, callers)

for c <- 0..(callers - 1)//1 do
  n = if c == callers - 1, do: msgs - per * (callers - 1), else: per

  spawn(fn ->
    for k <- 1..n//1, do: :gen_server.send_request(server, {:place, order.(c * per + k)})
    Process.sleep(:infinity)
  end)
end

wait = fn wait ->
  case Process.info(server, :message_queue_len) do
    {:message_queue_len, ^msgs} -> msgs
    _ -> Process.sleep(50) && wait.(wait)
  end
end

q = wait.(wait)
Gen.log("sink ~s ~b messages", [:erlang.pid_to_list(server), q])

Gen.log("vm ~b MB total, ~b MB processes, ~b MB binary, ~b MB ets; ~b processes; VmHWM ~s", [
  div(:erlang.memory(:total), 1_048_576),
  div(:erlang.memory(:processes), 1_048_576),
  div(:erlang.memory(:binary), 1_048_576),
  div(:erlang.memory(:ets), 1_048_576),
  :erlang.system_info(:process_count),
  Gen.vm_hwm()
])

Gen.log("writing the dump (~b ms so far)", [System.monotonic_time(:millisecond) - t0])
:erlang.halt(String.to_charlist(opts["slogan"]))
