package io.github.dl4jsn.notebooks.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClasspathMagicsTest {
  @TempDir Path dir;
  private final List<Path> sunk = new ArrayList<>();
  private Path a;
  private Path b;
  private Path repo;

  @BeforeEach
  void files() throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    a = Files.writeString(lib.resolve("a.jar"), "");
    b = Files.writeString(lib.resolve("b.jar"), "");
    Files.writeString(lib.resolve("notes.txt"), "");
    repo = dir.resolve("repo");
    Path v = Files.createDirectories(repo.resolve("io/github/x/art/1.0"));
    Files.writeString(v.resolve("art-1.0.jar"), "");
    Files.writeString(v.resolve("art-1.0-linux.jar"), "");
  }

  private ClasspathMagics magics(String launchClasspath) {
    return new ClasspathMagics(launchClasspath, repo, dir, sunk::add);
  }

  @Test
  void jarsExpandsARelativeGlobToJarFilesOnly() throws Exception {
    ClasspathMagics.Result r = magics("").jars(List.of("lib/*.jar"));
    assertThat(r.added()).containsExactlyInAnyOrder(a.toRealPath(), b.toRealPath());
    assertThat(sunk).isEqualTo(r.added());
  }

  @Test
  void entriesOnTheLaunchClasspathAreSkipped() throws Exception {
    ClasspathMagics.Result r = magics(a.toString()).jars(List.of("lib/*.jar"));
    assertThat(r.added()).containsExactly(b.toRealPath());
    assertThat(r.alreadyPresent()).containsExactly(a.toRealPath());
    assertThat(r.summary()).isEqualTo(
        "added 1 classpath entry (1 already on the kernel classpath)");
  }

  @Test
  void classpathTakesSeparatorJoinedLists() throws Exception {
    ClasspathMagics.Result r =
        magics("").classpath(List.of(a + File.pathSeparator + dir.resolve("lib")));
    assertThat(r.added()).containsExactly(a.toRealPath(), dir.resolve("lib").toRealPath());
  }

  @Test
  void aGlobMatchingNothingFails() {
    assertThatThrownBy(() -> magics("").jars(List.of("lib/*.zip")))
        .hasMessageContaining("nothing matches 'lib/*.zip'");
    assertThatThrownBy(() -> magics("").jars(List.of("missing/*.jar")))
        .hasMessageContaining("cannot resolve 'missing/*.jar'");
  }

  @Test
  void mavenResolvesCoordinatesInTheLocalRepository() throws Exception {
    ClasspathMagics m = magics("");
    assertThat(m.maven(List.of("io.github.x:art:1.0")).added())
        .containsExactly(repo.resolve("io/github/x/art/1.0/art-1.0.jar").toRealPath());
    assertThat(m.localArtifact("io.github.x:art:jar:linux:1.0"))
        .isEqualTo(repo.resolve("io/github/x/art/1.0/art-1.0-linux.jar"));
  }

  @Test
  void mavenFailsClearlyWhenTheArtifactIsNotLocal() {
    assertThatThrownBy(() -> magics("").maven(List.of("io.github.x:art:2.0")))
        .hasMessageContaining("not in the local Maven repository")
        .hasMessageContaining("art-2.0.jar");
    assertThatThrownBy(() -> magics("").maven(List.of("just-a-name")))
        .hasMessageContaining("bad coordinates");
  }
}
