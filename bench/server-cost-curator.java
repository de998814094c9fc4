// The Curator peer of bench/server-cost.ts: Apache Curator's InterProcessMutex (Debian's
// libcurator-recipes-java) looping lock+unlock on distinct locks, driven over stdin.
// Run in source-file mode: java -cp <curator and zookeeper jars> bench/server-cost-curator.java <hosts> <root>
// stdin:  "run <inFlight> <ms>"  ->  stdout: "done <ops> <elapsedMs>";  "exit" removes <root> and quits.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

class CuratorServerCost {
  public static void main(String[] args) throws Exception {
    String hosts = args[0];
    String root = args[1];
    CuratorFramework client = CuratorFrameworkFactory.newClient(hosts, 10_000, 10_000, new RetryNTimes(0, 0));
    client.start();
    client.blockUntilConnected();
    List<InterProcessMutex> mutexes = new ArrayList<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    System.out.println("ready " + ProcessHandle.current().pid());
    System.out.flush();
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.trim().split(" ");
      if (!p[0].equals("run")) break;
      int inFlight = Integer.parseInt(p[1]);
      long ms = Long.parseLong(p[2]);
      while (mutexes.size() < inFlight) mutexes.add(new InterProcessMutex(client, root + "/lock-" + mutexes.size()));
      AtomicLong ops = new AtomicLong();
      AtomicLong failures = new AtomicLong();
      long t0 = System.nanoTime();
      long end = t0 + ms * 1_000_000L;
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < inFlight; i++) {
        InterProcessMutex m = mutexes.get(i);
        Thread t = new Thread(() -> {
          while (System.nanoTime() < end) {
            try {
              m.acquire();
              m.release();
              ops.incrementAndGet();
            } catch (Exception e) {
              failures.incrementAndGet();
            }
          }
        });
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) t.join();
      long elapsed = System.nanoTime() - t0;
      System.out.println("done " + ops.get() + " " + (elapsed / 1e6) + " " + failures.get());
      System.out.flush();
    }
    try {
      client.delete().deletingChildrenIfNeeded().forPath(root);
    } catch (Exception e) {
      // already gone
    }
    client.close();
  }
}
