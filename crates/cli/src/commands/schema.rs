//! `awslab schema`: the JSON Schema of plan files, for editor completion.

use crate::exit::Status;

pub fn schema() -> Status {
    print!("{}", awslab_planner::schema::plan_schema());
    Status::Success
}
