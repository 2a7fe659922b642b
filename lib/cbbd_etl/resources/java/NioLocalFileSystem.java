package cbbd_etl.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system (checksums and all), whose permission changes are system calls, not processes.
 *
 * <p>Why: without Hadoop's native library (PySpark ships none), RawLocalFileSystem sets the permission of
 * every file it creates and every directory it makes by running {@code chmod} in a new process. A demo run
 * creates about 1,300 files and directories (Parquet data files, manifests, metadata JSON, their .crc
 * files), each spawn costing ~10 ms of CPU: measured, a file create took 10.9 ms with the spawn and
 * 1.4 ms without it. The permissions set are the same ones Hadoop would set (its umask applied by the
 * caller); only how they are set changes. Used for file:// paths of local sessions only (cbbd_etl.local_fs).
 */
public class NioLocalFileSystem extends LocalFileSystem {
  public NioLocalFileSystem() {
    super(new Raw());
  }

  /** RawLocalFileSystem with {@link #setPermission} through java.nio. */
  public static class Raw extends RawLocalFileSystem {
    // Bit i of a POSIX mode (i = 0 is "others execute") → its permission.
    private static final PosixFilePermission[] BITS = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      short mode = permission.toShort();
      Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < BITS.length; i++) {
        if ((mode & (1 << i)) != 0) {
          perms.add(BITS[i]);
        }
      }
      try {
        Files.setPosixFilePermissions(pathToFile(p).toPath(), perms);
      } catch (UnsupportedOperationException e) {
        super.setPermission(p, permission); // a file system without POSIX permissions: Hadoop's own way
      }
    }
  }
}
