/** Opt-in acceleration of DL4J training on CPU: oneDNN layer helpers and reports of their use. */
package io.github.dl4jsn.accel;
