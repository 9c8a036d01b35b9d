package io.github.dl4jsn.notebooks.kernel;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.dflib.jjava.jupyter.kernel.util.PathsHandler;

/**
 * Resolves the arguments of the classpath magics to files, the way IJava and JJava read them.
 *
 * <ul>
 *   <li>{@code %classpath PATH...}: each argument is a path, a glob ({@code lib/*.jar}) or several
 *       of them joined by the platform's path separator;
 *   <li>{@code %jars GLOB...}: like {@code %classpath}, keeping only {@code .jar} files;
 *   <li>{@code %maven GROUP:ARTIFACT:VERSION} (or {@code G:A:PACKAGING:V}, {@code
 *       G:A:PACKAGING:CLASSIFIER:V}): the artifact's file in the local Maven repository only,
 *       without its dependencies. Resolving from remote repositories, with dependencies, is what
 *       IJava and JJava do; this kernel is a test harness and fails with a clear message instead.
 * </ul>
 *
 * <p>Entries already on the kernel's launch classpath are reported and skipped, so a notebook can
 * carry the {@code %jars} line that a user's own kernel needs and still run in this one.
 */
public final class ClasspathMagics {

  /** What a magic added and what it skipped. */
  public record Result(List<Path> added, List<Path> alreadyPresent) {

    /** One line for the cell's output, e.g. "added 3 entries (2 already on the classpath)". */
    public String summary() {
      return String.format("added %d classpath entr%s (%d already on the kernel classpath)",
          added.size(), added.size() == 1 ? "y" : "ies", alreadyPresent.size());
    }
  }

  private final Set<Path> present = new LinkedHashSet<>();
  private final Path localRepository;
  private final Path workingDirectory;
  private final Consumer<Path> sink;

  /**
   * @param launchClasspath the kernel's own classpath (entries never added twice)
   * @param localRepository the local Maven repository, e.g. {@code ~/.m2/repository}
   * @param workingDirectory what relative paths resolve against (the notebook's folder)
   * @param sink receives each new entry, e.g. {@code JShell::addToClasspath}
   */
  public ClasspathMagics(String launchClasspath, Path localRepository, Path workingDirectory,
      Consumer<Path> sink) {
    for (String entry : PathsHandler.split(launchClasspath)) {
      present.add(normalize(Path.of(entry)));
    }
    this.localRepository = localRepository;
    this.workingDirectory = workingDirectory;
    this.sink = sink;
  }

  /** The local repository that Maven itself uses: {@code -Dmaven.repo.local} or ~/.m2. */
  public static Path defaultLocalRepository() {
    String configured = System.getProperty("maven.repo.local");
    return configured != null
        ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /** {@code %classpath}: paths, globs, or path-separator-joined lists of them. */
  public Result classpath(List<String> args) {
    return add(resolve(args, false), "%classpath");
  }

  /** {@code %jars}: globs of jar files. */
  public Result jars(List<String> args) {
    return add(resolve(args, true), "%jars");
  }

  /** {@code %maven}: artifacts from the local Maven repository, without dependencies. */
  public Result maven(List<String> args) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("%maven needs coordinates, e.g. "
          + "%maven io.github.dl4jsn:dl4j-sn-core:0.1.0");
    }
    List<Path> files = new ArrayList<>();
    for (String coords : args) {
      Path file = localArtifact(coords);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("%maven " + coords + ": " + file + " is not in the "
            + "local Maven repository. This test-harness kernel resolves %maven from "
            + localRepository + " only, without dependencies; run `mvn install` first, use "
            + "%jars or %classpath, or use IJava/JJava, whose %maven resolves remote "
            + "repositories.");
      }
      files.add(file);
    }
    return add(files, "%maven");
  }

  /** The file of {@code coords} in the local repository, whether or not it exists. */
  Path localArtifact(String coords) {
    String[] p = coords.split(":");
    String group;
    String artifact;
    String packaging = "jar";
    String classifier = null;
    String version;
    switch (p.length) {
      case 3 -> {
        group = p[0];
        artifact = p[1];
        version = p[2];
      }
      case 4 -> {
        group = p[0];
        artifact = p[1];
        packaging = p[2];
        version = p[3];
      }
      case 5 -> {
        group = p[0];
        artifact = p[1];
        packaging = p[2];
        classifier = p[3];
        version = p[4];
      }
      default -> throw new IllegalArgumentException("%maven: bad coordinates '" + coords
          + "', expected group:artifact:version or group:artifact:packaging[:classifier]:version");
    }
    String file = artifact + "-" + version + (classifier == null ? "" : "-" + classifier) + "."
        + packaging;
    return localRepository.resolve(group.replace('.', File.separatorChar)).resolve(artifact)
        .resolve(version).resolve(file);
  }

  private List<Path> resolve(List<String> args, boolean jarsOnly) {
    String magic = jarsOnly ? "%jars" : "%classpath";
    if (args.isEmpty()) {
      throw new IllegalArgumentException(magic + " needs at least one path or glob");
    }
    List<Path> files = new ArrayList<>();
    for (String arg : args) {
      for (String part : PathsHandler.split(arg)) {
        String glob = Path.of(part).isAbsolute() ? part : workingDirectory.resolve(part).toString();
        List<Path> matched;
        try {
          matched = PathsHandler.resolveGlobs(glob);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(magic + ": cannot resolve '" + part + "' (from "
              + workingDirectory + "): " + rootMessage(e), e);
        }
        if (jarsOnly) {
          matched = matched.stream().filter(f -> f.toString().endsWith(".jar")).toList();
        }
        if (matched.isEmpty()) {
          throw new IllegalArgumentException(magic + ": nothing matches '" + part + "' (from "
              + workingDirectory + ")");
        }
        files.addAll(matched);
      }
    }
    return files;
  }

  private Result add(List<Path> files, String magic) {
    List<Path> added = new ArrayList<>();
    List<Path> skipped = new ArrayList<>();
    for (Path f : files) {
      Path n = normalize(f);
      if (present.add(n)) {
        sink.accept(n);
        added.add(n);
      } else {
        skipped.add(n);
      }
    }
    return new Result(added, skipped);
  }

  private static Path normalize(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException | UncheckedIOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
