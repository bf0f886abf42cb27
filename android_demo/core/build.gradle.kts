// Plain Java, no Android: the same sources scripts/java-test.sh compiles and tests with javac.
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_1_8
    targetCompatibility = JavaVersion.VERSION_1_8
}

dependencies {
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    systemProperty("golden.dir", file("src/test/resources/golden").absolutePath)
}
