# Fails when a file under DIR includes a header that FORBIDDEN names: a comma-separated list of
# header prefixes ("caf/,restinio/"). The one check behind "model/ stays pure" and "exec/ uses
# no CAF". Usage: cmake -DDIR=<folder> -DFORBIDDEN=<prefixes> -DRULE=<what DIR must be>
# -DSTAMP=<file> -P this file (the stamp is written when nothing is found).
string(REPLACE "," "|" forbidden "${FORBIDDEN}")
file(GLOB_RECURSE files "${DIR}/*.hpp" "${DIR}/*.cpp")
set(violations "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](${forbidden})")
  foreach(l IN LISTS lines)
    list(APPEND violations "${f}: ${l}")
  endforeach()
endforeach()
if(violations)
  string(REPLACE ";" "\n  " msg "${violations}")
  message(FATAL_ERROR "${DIR} must ${RULE}; includes found:\n  ${msg}")
endif()
file(WRITE "${STAMP}" "ok\n")
