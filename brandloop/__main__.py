from brandloop.cli import main

main()
