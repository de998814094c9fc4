/*
 * The Apache Curator peer of `npm run bench` (bench/compare.ts): InterProcessMutex and LeaderLatch,
 * driven by one JSON command per line on stdin, one JSON reply per line on stdout. Compiled with
 * javac at bench time against Debian's jars in /usr/share/java. Threads, one per lock in flight.
 * Usage: java -cp <jars>:<dir> CuratorPeer <hosts> <root>
 */
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public final class CuratorPeer {
  private static String hosts;
  private static String root;
  private static CuratorFramework main;

  /** A growable list of latencies (ns) for one thread. */
  private static final class Lat {
    long[] a = new long[1024];
    int n;
    void add(long v) {
      if (n == a.length) a = Arrays.copyOf(a, n * 2);
      a[n++] = v;
    }
  }

  static CuratorFramework open(String connect) throws Exception {
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect)
        .sessionTimeoutMs(10_000).connectionTimeoutMs(15_000)
        .retryPolicy(new ExponentialBackoffRetry(50, 10)).build();
    c.start();
    if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection to " + connect);
    return c;
  }

  static Map<String, String> parse(String line) {
    Map<String, String> m = new HashMap<>();
    Matcher x = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"([^\"]*)\"|[-0-9.eE]+|true|false|null)").matcher(line);
    while (x.find()) m.put(x.group(1), x.group(3) != null ? x.group(3) : x.group(2));
    return m;
  }

  static double ms(long ns) {
    return ns / 1e6;
  }

  static String pct(long[] all, int n) {
    Arrays.sort(all, 0, n);
    if (n == 0) return "\"p50\":null,\"p99\":null";
    return "\"p50\":" + ms(all[(int) Math.floor((n - 1) * 0.5)]) + ",\"p99\":" + ms(all[(int) Math.floor((n - 1) * 0.99)]);
  }

  /** N locks on distinct paths in flight, one thread each, each looping acquire+release for `ms`. */
  static String locks(int n, long windowMs, String tag) throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    AtomicLong windowOps = new AtomicLong();
    Lat[] lats = new Lat[n];
    Thread[] ts = new Thread[n];
    long[] deadline = new long[1];
    Throwable[] failed = new Throwable[1];
    for (int i = 0; i < n; i++) {
      final int k = i;
      lats[k] = new Lat();
      ts[k] = new Thread(null, () -> {
        try {
          InterProcessMutex m = new InterProcessMutex(main, root + "/" + tag + "-" + k);
          gate.await();
          while (System.nanoTime() < deadline[0]) {
            long t = System.nanoTime();
            m.acquire();
            m.release();
            long e = System.nanoTime();
            lats[k].add(e - t);
            if (e <= deadline[0]) windowOps.incrementAndGet();
          }
        } catch (Throwable e) {
          failed[0] = e;
        }
      }, "lock-" + k, 256 * 1024);
      ts[k].start();
    }
    long t0 = System.nanoTime();
    deadline[0] = t0 + windowMs * 1_000_000L;
    gate.countDown();
    for (Thread t : ts) t.join();
    long total = System.nanoTime() - t0;
    if (failed[0] != null) throw new RuntimeException(failed[0]);
    int count = 0;
    for (Lat l : lats) count += l.n;
    long[] all = new long[count];
    int at = 0;
    for (Lat l : lats) {
      System.arraycopy(l.a, 0, all, at, l.n);
      at += l.n;
    }
    return "\"ops\":" + count + ",\"windowOps\":" + windowOps.get() + ",\"windowMs\":" + windowMs + ",\"totalMs\":" + ms(total) + "," + pct(all, count);
  }

  /** `sessions` clients on one lock, each looping acquire+release for `ms`; counts acquisitions. */
  static String handoff(int sessions, long windowMs) throws Exception {
    List<CuratorFramework> cs = new ArrayList<>();
    try {
      for (int i = 0; i < sessions; i++) cs.add(open(hosts));
      CountDownLatch gate = new CountDownLatch(1);
      AtomicLong inWindow = new AtomicLong();
      AtomicLong all = new AtomicLong();
      long[] deadline = new long[1];
      Throwable[] failed = new Throwable[1];
      Thread[] ts = new Thread[sessions];
      for (int i = 0; i < sessions; i++) {
        InterProcessMutex m = new InterProcessMutex(cs.get(i), root + "/handoff");
        ts[i] = new Thread(() -> {
          try {
            gate.await();
            while (System.nanoTime() < deadline[0]) {
              m.acquire();
              long e = System.nanoTime();
              all.incrementAndGet();
              if (e <= deadline[0]) inWindow.incrementAndGet();
              m.release();
            }
          } catch (Throwable e) {
            failed[0] = e;
          }
        });
        ts[i].start();
      }
      long t0 = System.nanoTime();
      deadline[0] = t0 + windowMs * 1_000_000L;
      gate.countDown();
      for (Thread t : ts) t.join();
      if (failed[0] != null) throw new RuntimeException(failed[0]);
      return "\"ops\":" + all.get() + ",\"windowOps\":" + inWindow.get() + ",\"windowMs\":" + windowMs + ",\"totalMs\":" + ms(System.nanoTime() - t0);
    } finally {
      for (CuratorFramework c : cs) c.close();
    }
  }

  /** Graceful fail-over with LeaderLatch: two clients take turns; time from close() of the leader to await() of the next. */
  static String failover(int runs) throws Exception {
    CuratorFramework[] cs = { open(hosts), open(hosts) };
    String path = root + "/leader";
    List<Double> out = new ArrayList<>();
    LeaderLatch leader = null;
    try {
      leader = new LeaderLatch(cs[0], path);
      leader.start();
      leader.await();
      int who = 0;
      for (int r = 0; r < runs; r++) {
        LeaderLatch next = new LeaderLatch(cs[1 - who], path);
        next.start();
        long waitUntil = System.nanoTime() + 10_000_000_000L;
        while (cs[0].getChildren().forPath(path).size() < 2) {
          if (System.nanoTime() > waitUntil) throw new IllegalStateException("second contender never appeared");
          Thread.sleep(2);
        }
        Thread.sleep(5);
        long t0 = System.nanoTime();
        leader.close();
        if (!next.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("no election within 30 s");
        out.add(ms(System.nanoTime() - t0));
        leader = next;
        who = 1 - who;
      }
    } finally {
      if (leader != null) leader.close();
      for (CuratorFramework c : cs) c.close();
    }
    StringBuilder sb = new StringBuilder("\"ms\":[");
    for (int i = 0; i < out.size(); i++) sb.append(i > 0 ? "," : "").append(out.get(i));
    return sb.append("]").toString();
  }

  // The waiters case: a holder thread, then n waiter threads queued behind it on one lock.
  private static CountDownLatch releaseHolder;
  private static Thread holderThread;
  private static Thread[] waiterThreads;
  private static long[] acquiredAt;
  private static final AtomicLong acquiredCount = new AtomicLong();

  static String queue(int n) throws Exception {
    String path = root + "/waiters";
    CountDownLatch held = new CountDownLatch(1);
    releaseHolder = new CountDownLatch(1);
    holderThread = new Thread(() -> {
      try {
        InterProcessMutex m = new InterProcessMutex(main, path);
        m.acquire();
        held.countDown();
        releaseHolder.await();
        m.release();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    holderThread.start();
    held.await();
    long t0 = System.nanoTime();
    acquiredAt = new long[n];
    acquiredCount.set(0);
    waiterThreads = new Thread[n];
    for (int i = 0; i < n; i++) {
      waiterThreads[i] = new Thread(null, () -> {
        try {
          InterProcessMutex m = new InterProcessMutex(main, path);
          if (!m.acquire(300, TimeUnit.SECONDS)) throw new IllegalStateException("waiter timed out");
          acquiredAt[(int) acquiredCount.getAndIncrement()] = System.nanoTime();
          m.release();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, "waiter-" + i, 256 * 1024);
      waiterThreads[i].start();
    }
    long waitUntil = System.nanoTime() + 120_000_000_000L;
    while (main.getChildren().forPath(path).size() < n + 1) {
      if (System.nanoTime() > waitUntil) throw new IllegalStateException("waiters never all queued");
      Thread.sleep(20);
    }
    Thread.sleep(300); // each waiter's watch on its predecessor is set just after its list
    return "\"queued\":" + n + ",\"queueMs\":" + ms(System.nanoTime() - t0);
  }

  static String drain() throws Exception {
    long t0 = System.nanoTime();
    releaseHolder.countDown();
    holderThread.join();
    for (Thread t : waiterThreads) t.join();
    int n = waiterThreads.length;
    return "\"handoffs\":" + acquiredCount.get() + ",\"totalMs\":" + ms(acquiredAt[n - 1] - t0) + "," + gaps(t0, acquiredAt);
  }

  static String gaps(long t0, long[] at) {
    int n = at.length;
    long[] g = new long[n];
    long prev = t0;
    for (int i = 0; i < n; i++) {
      g[i] = at[i] - prev;
      prev = at[i];
    }
    int q = Math.max(1, n / 10);
    long first = 0, last = 0;
    for (int i = 0; i < q; i++) {
      first += g[i];
      last += g[n - 1 - i];
    }
    return "\"firstTenthMs\":" + ms(first / q) + ",\"lastTenthMs\":" + ms(last / q) + "," + pct(g, n);
  }

  // The held case: `threads` threads each acquire their share of n locks on distinct paths and keep them.
  private static CuratorFramework heldClient;
  private static CountDownLatch releaseHeld;
  private static Thread[] heldThreads;

  static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  static String hold(int n, String viaHosts, int threads) throws Exception {
    heldClient = open(viaHosts);
    long before = usedHeap();
    CountDownLatch held = new CountDownLatch(threads);
    releaseHeld = new CountDownLatch(1);
    heldThreads = new Thread[threads];
    AtomicLong count = new AtomicLong();
    Throwable[] failed = new Throwable[1];
    long t0 = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      final int k = t;
      heldThreads[t] = new Thread(() -> {
        List<InterProcessMutex> mine = new ArrayList<>();
        try {
          for (int i = k; i < n; i += threads) {
            InterProcessMutex m = new InterProcessMutex(heldClient, root + "/held/" + i);
            m.acquire();
            mine.add(m);
            count.incrementAndGet();
          }
        } catch (Throwable e) {
          failed[0] = e;
        }
        held.countDown();
        try {
          releaseHeld.await();
          for (InterProcessMutex m : mine) m.release();
        } catch (Throwable e) {
          failed[0] = e;
        }
      });
      heldThreads[t].start();
    }
    held.await();
    long acquire = System.nanoTime() - t0;
    if (failed[0] != null) throw new RuntimeException(failed[0]);
    long after = usedHeap();
    return "\"held\":" + count.get() + ",\"acquireMs\":" + ms(acquire) + ",\"heapBytes\":" + (after - before)
        + ",\"heapKind\":\"JVM used heap after System.gc()\",\"how\":\"" + threads + " threads\"";
  }

  static String probe() throws Exception {
    long t0 = System.nanoTime();
    heldClient.checkExists().forPath("/");
    return "\"ms\":" + ms(System.nanoTime() - t0);
  }

  static String release() throws Exception {
    long t0 = System.nanoTime();
    releaseHeld.countDown();
    for (Thread t : heldThreads) t.join();
    long took = System.nanoTime() - t0;
    heldClient.close();
    heldClient = null;
    return "\"releaseMs\":" + ms(took);
  }

  static String dispatch(Map<String, String> c) throws Exception {
    switch (c.get("cmd")) {
      case "locks": return locks(Integer.parseInt(c.get("n")), Long.parseLong(c.get("ms")), c.get("tag"));
      case "handoff": return handoff(Integer.parseInt(c.get("sessions")), Long.parseLong(c.get("ms")));
      case "failover": return failover(Integer.parseInt(c.get("runs")));
      case "queue": return queue(Integer.parseInt(c.get("n")));
      case "drain": return drain();
      case "hold": return hold(Integer.parseInt(c.get("n")), c.get("hosts"), Integer.parseInt(c.get("threads")));
      case "probe": return probe();
      case "release": return release();
      case "hello": return "\"version\":\"curator " + InterProcessMutex.class.getPackage().getImplementationVersion() + "\"";
      default: throw new IllegalArgumentException("unknown command " + c.get("cmd"));
    }
  }

  static String quote(String s) {
    return "\"" + String.valueOf(s).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  public static void main(String[] args) throws Exception {
    hosts = args[0];
    root = args[1];
    main = open(hosts);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null) {
      Map<String, String> c = parse(line);
      if ("close".equals(c.get("cmd"))) break;
      String reply;
      try {
        reply = "{\"ok\":true," + dispatch(c) + "}";
      } catch (Throwable e) {
        reply = "{\"ok\":false,\"error\":" + quote(e.toString()) + "}";
      }
      System.out.println(reply);
      System.out.flush();
    }
    main.close();
    System.out.println("{\"ok\":true}");
    System.out.flush();
    System.exit(0);
  }
}
