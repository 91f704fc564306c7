# Fails unless the generated man page (PAGE) names every client command and the output flag,
# and the flags of commands two levels down (jobs runs --limit, scheduler pause --reason).
file(READ "${PAGE}" page)
foreach(word serve watch status jobs scheduler preview completion migrate decisions next pause
        resume "output FORMAT" zsh backfill export "vigil jobs runs" prune "dry\\-run"
        "limit\\fR N" "overlap\\fR POLICY" "reason\\fR TEXT")
  string(FIND "${page}" "${word}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${PAGE} does not mention '${word}'")
  endif()
endforeach()
message(STATUS "${PAGE}: every command is described")
