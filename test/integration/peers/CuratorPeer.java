// A Curator participant for the interop tests, driven over stdin, one command per line:
//   acq <id> mutex|read|write <path> <waitMs>      acquire InterProcessMutex or a side of InterProcessReadWriteLock
//   acq <id> semaphore <path> <waitMs> <permits>   acquire one lease of InterProcessSemaphoreV2
//   rel <id>                                       release what <id> holds
//   quit
// Each acquire runs on its own thread and prints "held <id>" or "timeout <id>"; a release prints
// "released <id>"; errors print "error <id> <message>". Prints "ready" once connected.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;

public class CuratorPeer {
  private static final Map<String, AutoCloseable> held = new ConcurrentHashMap<>();

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 10000, new RetryNTimes(3, 100));
    client.start();
    client.blockUntilConnected(20, TimeUnit.SECONDS);
    say("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      String[] w = line.trim().split(" ");
      if (w[0].equals("quit")) break;
      if (w[0].equals("rel")) {
        AutoCloseable h = held.remove(w[1]);
        try {
          if (h != null) h.close();
          say("released " + w[1]);
        } catch (Exception e) {
          say("error " + w[1] + " " + e);
        }
        continue;
      }
      new Thread(() -> acquire(client, w)).start();
    }
    for (AutoCloseable h : held.values()) h.close();
    client.close();
  }

  private static void acquire(CuratorFramework client, String[] w) {
    String id = w[1], kind = w[2], path = w[3];
    long waitMs = Long.parseLong(w[4]);
    try {
      if (kind.equals("semaphore")) {
        InterProcessSemaphoreV2 sem = new InterProcessSemaphoreV2(client, path, Integer.parseInt(w[5]));
        Lease lease = sem.acquire(waitMs, TimeUnit.MILLISECONDS);
        if (lease == null) { say("timeout " + id); return; }
        held.put(id, lease::close);
      } else {
        InterProcessMutex m = kind.equals("mutex") ? new InterProcessMutex(client, path)
            : kind.equals("read") ? new InterProcessReadWriteLock(client, path).readLock()
            : new InterProcessReadWriteLock(client, path).writeLock();
        if (!m.acquire(waitMs, TimeUnit.MILLISECONDS)) { say("timeout " + id); return; }
        // Curator's locks belong to the thread that took them: release from the same thread.
        java.util.concurrent.SynchronousQueue<Object> go = new java.util.concurrent.SynchronousQueue<>();
        java.util.concurrent.SynchronousQueue<Object> done = new java.util.concurrent.SynchronousQueue<>();
        held.put(id, () -> { go.put(Boolean.TRUE); done.take(); });
        say("held " + id);
        go.take();
        m.release();
        done.put(Boolean.TRUE);
        return;
      }
      say("held " + id);
    } catch (Exception e) {
      say("error " + id + " " + e);
    }
  }
}
