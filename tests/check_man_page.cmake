# Fails unless the generated man page (PAGE) names every client command and the output flag.
file(READ "${PAGE}" page)
foreach(word serve watch status jobs scheduler preview completion migrate decisions next pause
        resume "output FORMAT" zsh)
  string(FIND "${page}" "${word}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${PAGE} does not mention '${word}'")
  endif()
endforeach()
message(STATUS "${PAGE}: every command is described")
